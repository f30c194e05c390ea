# run_basic.sh - a real batch against the simulator: every good image answered once and
# assigned to the right item, bad files reported without being sent, bodies schema-valid.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/in/sub"
gen_images "$TMP/in" 30 --seed 3 --min-side 64 --max-side 900
gen_images "$TMP/in/sub" 10 --seed 4 --min-side 64 --max-side 300 --format png
printf 'not an image at all' >"$TMP/in/text-named.jpg"
: >"$TMP/in/zero.png"
head -c 2000 "$(ls "$TMP"/in/product-*.jpg | head -n 1)" >"$TMP/in/truncated.jpg"

start_sim --latency-ms 20 --jitter-ms 10 --record-requests "$TMP/requests.jsonl"

status=0
"$VB_BIN" run --base-url "$SIM_URL" -c 8 -m gpt-4o --detail high -p "Describe the product" \
    -o "$TMP/out.jsonl" "$TMP/in" 2>"$TMP/err.txt" || status=$?
[ "$status" -eq 1 ] || { cat "$TMP/err.txt"; fail "exit status $status, expected 1 (3 bad files)"; }
grep -q "images       43 (ok 40, failed 3)" "$TMP/err.txt" || { cat "$TMP/err.txt"; fail "summary"; }

py "$TMP/out.jsonl" <<'PY'
import json, sys, hashlib
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 43, len(lines)
assert len({l["id"] for l in lines}) == 43
kinds = {}
for l in lines:
    if l["status"] == "ok":
        digest = hashlib.sha256(open(l["image"], "rb").read()).hexdigest()
        assert l["content_hash"] == "sha256:" + digest
        # the simulator names the hash of the image it received: the answer is this item's
        assert digest in l["response"], (l["id"], l["response"][:120])
        assert l["usage"]["prompt_tokens"] > 85 and l["attempts"] == 1 and l["error"] is None
        assert l["latency_ms"] > 0
    else:
        kinds[l["image"].rsplit("/", 1)[1]] = l["error"]["kind"]
        assert l["attempts"] == 0 and l["response"] is None and l["error"]["message"]
assert kinds == {"text-named.jpg": "not_an_image", "zero.png": "empty_file",
                 "truncated.jpg": "corrupt_image"}, kinds
PY

# each good image sent exactly once, never a bad one, never more than 8 at once
[ "$(sim_stat requests)" -eq 40 ] || fail "simulator saw $(sim_stat requests) requests, expected 40"
[ "$(sim_stat responses.200)" -eq 40 ] || fail "not every request was accepted"
[ "$(sim_stat distinct_images_billed)" -eq 40 ] || fail "distinct images billed"
[ "$(sim_stat max_in_flight)" -le 8 ] || fail "max in flight $(sim_stat max_in_flight) > 8"

# the bodies sent validate against OpenAI's CreateChatCompletionRequest schema
/usr/bin/python3 "$VB_SRC/tests/schema/validate_requests.py" \
    "$VB_SRC/tests/schema/create-chat-completion-request.schema.json" "$TMP/requests.jsonl"

# a missing input is a usage error before anything is sent
status=0
"$VB_BIN" run --base-url "$SIM_URL" "$TMP/in" "$TMP/does-not-exist" 2>"$TMP/err2.txt" || status=$?
[ "$status" -eq 2 ] || fail "missing input: exit $status, expected 2"
grep -q "does-not-exist: No such file or directory" "$TMP/err2.txt" || fail "missing input message"
[ "$(sim_stat requests)" -eq 40 ] || fail "requests were sent despite a usage error"
echo "run_basic: ok"
