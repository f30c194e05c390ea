# provider_anthropic.sh - visionbatch speaks Anthropic Messages natively, against the
# simulator's /v1/messages: see provider_lib.inc for the checks every provider passes;
# here also Claude's 28 px token formula on the docs' worked examples.
source "$(dirname "$0")/lib.sh"
PROVIDER=anthropic MODEL=claude-sonnet-4-5 KEY_VAR=ANTHROPIC_API_KEY
source "$(dirname "$0")/provider_lib.inc"

provider_basic_batch
# the docs' worked examples (200x200 -> 64, 1000x1000 -> 1296, 1920x1080 -> 1560,
# 3840x2160 -> 1560, 1075x1520) and a mix of shapes
provider_estimate 200x200 1000x1000 1920x1080 3840x2160 1075x1520 90x3000 3000x90 777x333
json=$(vbp estimate --json -q --provider anthropic -m "$MODEL" "$TMP"/est/s200x200-*)
py "$json" <<'PY'
import json, sys
assert json.loads(sys.argv[1])["image_tokens"] == 64
PY
for pair in 1000x1000:1296 1920x1080:1560 3840x2160:1560; do
    got=$(vbp estimate --json -q --provider anthropic -m "$MODEL" "$TMP"/est/s"${pair%%:*}"-* |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["image_tokens"])')
    [ "$got" = "${pair##*:}" ] || fail "claude ${pair%%:*}: $got image tokens, docs say ${pair##*:}"
done
provider_pacing 1200 200
provider_faults
provider_wrong_key
provider_structured_and_groups

# --json asks in the prompt alone (Anthropic has no JSON-object mode): its journal still
# tells the job from a plain one, so a plain run is not taken for its resume
vbp run --provider anthropic --base-url "$(root)" -m "$MODEL" -q --json -o "$TMP/j.jsonl" \
    "$TMP/est" 2>"$TMP/j.err" || { cat "$TMP/j.err"; fail "--json run failed"; }
status=0
vbp run --provider anthropic --base-url "$(root)" -m "$MODEL" -q -o "$TMP/j.jsonl" \
    "$TMP/est" 2>"$TMP/j2.err" || status=$?
[ "$status" -eq 2 ] && grep -q "json" "$TMP/j2.err" ||
    { cat "$TMP/j2.err"; fail "a plain run resumed a --json job's journal (exit $status)"; }
echo "provider_anthropic: ok"
