# batchapi_anthropic.sh - --batch-api through the simulator's anthropic batch endpoints: see
# batchapi_lib.inc for what every provider must do.
source "$(dirname "$0")/lib.sh"
PROVIDER=anthropic MODEL=claude-sonnet-4-5 KEY_VAR=ANTHROPIC_API_KEY
source "$(dirname "$0")/batchapi_lib.inc"

batch_same_as_online "${VB_BATCH_N:-90}"
batch_no_wait
batch_faults
echo "batchapi_anthropic: ok"
