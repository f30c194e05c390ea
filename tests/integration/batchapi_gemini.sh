# batchapi_gemini.sh - --batch-api through the simulator's gemini batch endpoints: see
# batchapi_lib.inc for what every provider must do.
source "$(dirname "$0")/lib.sh"
PROVIDER=gemini MODEL=gemini-2.5-flash KEY_VAR=GEMINI_API_KEY
source "$(dirname "$0")/batchapi_lib.inc"

batch_same_as_online "${VB_BATCH_N:-90}"
batch_no_wait
batch_faults
echo "batchapi_gemini: ok"
