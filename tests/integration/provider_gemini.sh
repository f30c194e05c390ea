# provider_gemini.sh - visionbatch speaks Gemini generateContent natively, against the
# simulator's /v1beta/models/{model}:generateContent: see provider_lib.inc for the checks
# every provider passes; here also the 258-token rule for small images and a per-day
# quota stopping the run with its reason.
source "$(dirname "$0")/lib.sh"
PROVIDER=gemini MODEL=gemini-2.5-flash KEY_VAR=GEMINI_API_KEY
source "$(dirname "$0")/provider_lib.inc"

provider_basic_batch
provider_estimate 384x384 385x100 200x200 1000x1000 1920x1080 768x768 769x769 3000x90
got=$(vbp estimate --json -q --provider gemini -m "$MODEL" "$TMP"/est/s384x384-* |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["image_tokens"])')
[ "$got" = 258 ] || fail "gemini 384x384: $got image tokens, docs say 258"
# Gemini sends no limit headers: the first 429 names the limit (QuotaFailure), and the
# requests in flight then (slow start from 2 doubles per round trip) are refused once
provider_pacing 1200 200 12
provider_faults
provider_wrong_key
provider_structured_and_groups

# a per-day quota: exit 3 at once with the reason; nothing unsent is marked failed
stop_sim
start_sim --key "$KEY" --quota-after 5
status=0
vbp run --provider gemini --base-url "$(root)" -m "$MODEL" -c 2 -o "$TMP/quota.jsonl" \
    "$TMP/in" 2>"$TMP/quota.err" || status=$?
[ "$status" -eq 3 ] || { cat "$TMP/quota.err"; fail "per-day quota: exit $status, expected 3"; }
grep -q "PerDay" "$TMP/quota.err" || { cat "$TMP/quota.err"; fail "per-day quota: reason not named"; }
[ "$(grep -c '"status":"ok"' "$TMP/quota.jsonl")" -eq 5 ] || fail "per-day quota: not 5 ok lines"
[ "$(sim_stat requests)" -le 7 ] || fail "per-day quota: $(sim_stat requests) requests sent"
echo "provider_gemini: ok"
