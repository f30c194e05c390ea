# run_json.sh - structured answers: --schema sends a strict json_schema named after the
# file and every answer's parsed object is the line's "data" (assigned to the right
# image); --json adds the word OpenAI wants and parses a JSON object; broken JSON from the
# simulator (--bad-json-rate) is asked again up to --json-retries times, then recorded as
# invalid_json with the raw text, and every answer's tokens and cost are counted; a
# journal refuses a run with another schema.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/photos"
gen_images "$TMP/photos" 12 --seed 61 --min-side 48 --max-side 160
cd "$TMP"
cat >product-attrs.json <<'J'
{"type": "object",
 "properties": {"category": {"type": "string"}, "color": {"type": "string", "enum": ["red", "blue"]},
                "defects": {"type": "array", "items": {"type": "string"}},
                "weight_kg": {"type": "number"}, "pieces": {"type": "integer"},
                "boxed": {"type": "boolean"}},
 "required": ["category", "color", "defects", "weight_kg", "pieces", "boxed"],
 "additionalProperties": false}
J
start_sim --latency-ms 5 --record-requests "$TMP/requests.jsonl"

# ---- --schema ------------------------------------------------------------------------
"$VB_BIN" run --base-url "$SIM_URL" -c 4 -q --schema product-attrs.json -o schema.jsonl \
    photos || fail "--schema run failed"
py schema.jsonl requests.jsonl product-attrs.json <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 12 and all(l["status"] == "ok" for l in lines), lines[0]
for l in lines:
    d = l["data"]
    assert d == json.loads(l["response"]), l
    assert isinstance(d["category"], str) and d["color"] in ("red", "blue"), d
    assert isinstance(d["defects"], list) and isinstance(d["weight_kg"], float), d
    assert type(d["pieces"]) is int and d["boxed"] is True, d
    # the simulator names the image it was sent: the answer belongs to this line's image
    assert d["category"].startswith(l["content_hash"] + " "), (d, l["content_hash"])
reqs = [json.loads(l) for l in open(sys.argv[2])]
schema = json.load(open(sys.argv[3]))
assert len(reqs) == 12
for r in reqs:
    rf = r["response_format"]
    assert rf == {"type": "json_schema", "json_schema": {"name": "product-attrs",
                  "schema": schema, "strict": True}}, rf
PY
/usr/bin/python3 "$VB_SRC/tests/schema/validate_requests.py" \
    "$VB_SRC/tests/schema/create-chat-completion-request.schema.json" requests.jsonl >/dev/null \
    || fail "--schema request bodies do not validate"

# ---- --json: the prompt gets the word OpenAI demands; the object is the data ----------
: >requests.jsonl
"$VB_BIN" run --base-url "$SIM_URL" -c 4 -q --json -p "Describe the product" -o obj.jsonl \
    photos || fail "--json run failed (without the hint the simulator refuses with 400)"
py obj.jsonl requests.jsonl <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 12 and all(l["status"] == "ok" for l in lines)
assert all(l["data"]["image_sha256"] == l["content_hash"] for l in lines)
reqs = [json.loads(l) for l in open(sys.argv[2])]
assert all(r["response_format"] == {"type": "json_object"} for r in reqs)
texts = {r["messages"][0]["content"][0]["text"] for r in reqs}
assert texts == {"Describe the product\n\nAnswer with a JSON object."}, texts
PY
/usr/bin/python3 "$VB_SRC/tests/schema/validate_requests.py" \
    "$VB_SRC/tests/schema/create-chat-completion-request.schema.json" requests.jsonl >/dev/null \
    || fail "--json request bodies do not validate"
# a prompt that says JSON itself is sent as written
: >requests.jsonl
"$VB_BIN" run --base-url "$SIM_URL" -q --json --no-journal -p "Give JSON" -o /dev/null \
    photos/product-000001.jpg || fail "--json with JSON in the prompt"
grep -q '"text":"Give JSON"' requests.jsonl || fail "a prompt naming JSON was changed"
# an item's own prompt (a template here) gets the hint too, after it is filled
: >requests.jsonl
echo '{"image": "photos/product-000001.jpg", "id": "own", "prompt": "Name the {part}", "part": "lid"}' \
    >own.jsonl
"$VB_BIN" run --base-url "$SIM_URL" -q --json --no-journal -o own.out own.jsonl \
    || fail "--json with an item's own prompt"
grep -qF '"text":"Name the lid\n\nAnswer with a JSON object."' requests.jsonl \
    || fail "an item's own prompt did not get the hint"
grep -q '"status":"ok"' own.out || fail "an item's own prompt: not ok"
kill "$SIM_PID"

# ---- broken answers: re-asked, then invalid_json; every answer is billed --------------
mkdir -p many
gen_images many 40 --seed 62 --min-side 32 --max-side 64
start_sim --bad-json-rate 0.5 --seed 3
status=0
"$VB_BIN" run --base-url "$SIM_URL" -c 1 --json --json-retries 2 --no-dedupe --no-journal \
    -o bad.jsonl many 2>bad.err || status=$?
[ "$status" -eq 1 ] || { cat bad.err; fail "bad JSON run: exit $status, expected 1"; }
py bad.jsonl "$(sim_stat requests)" "$(sim_stat prompt_tokens)" "$(sim_stat completion_tokens)" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
requests, prompt, completion = map(int, sys.argv[2:5])
assert len(lines) == 40
ok = [l for l in lines if l["status"] == "ok"]
bad = [l for l in lines if l["status"] == "error"]
assert all(l["error"]["kind"] == "invalid_json" and l["attempts"] == 3 for l in bad), bad[:1]
for l in bad:  # the raw text is kept, and it is not JSON
    try:
        json.loads(l["response"]); raise AssertionError("raw text parses: %r" % l["response"])
    except ValueError:
        pass
    assert "not valid JSON" in l["error"]["message"] and l["error"]["http_status"] == 200
assert all(l["data"]["image_sha256"] == l["content_hash"] for l in ok)
retried_ok = [l for l in ok if l["attempts"] > 1]
assert bad and retried_ok, (len(bad), len(retried_ok))  # seed 3, -c 1: both happen
assert sum(l["attempts"] for l in lines) == requests, requests
# every answer's tokens and cost count, retried ones included
assert sum(l["usage"]["prompt_tokens"] for l in lines) == prompt
assert sum(l["usage"]["completion_tokens"] for l in lines) == completion
for l in retried_ok + bad:
    per = l["usage"]["prompt_tokens"] / l["attempts"]
    assert per == int(per), l["usage"]
    # gpt-4o-mini: $0.15 / 1M input, $0.60 / 1M output
    want = (l["usage"]["prompt_tokens"] * 0.15 + l["usage"]["completion_tokens"] * 0.60) / 1e6
    assert abs(l["cost_usd"] - want) < 1e-9, (l["cost_usd"], want)
print(len(ok), "ok,", len(retried_ok), "after a re-ask,", len(bad), "invalid_json,", requests,
      "requests")
PY
grep -q "tokens       in $(sim_stat prompt_tokens)," bad.err || fail "summary tokens differ from billed"

# --json-retries 0: the first broken answer is the result
"$VB_BIN" run --base-url "$SIM_URL" -c 2 --json --json-retries 0 --no-dedupe --no-journal -q \
    -o bad0.jsonl many && fail "--json-retries 0 run should report failures"
py bad0.jsonl <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert all(l["attempts"] == 1 for l in lines)
assert any(l["status"] == "error" and l["error"]["kind"] == "invalid_json" for l in lines)
PY

# ---- a schema OpenAI's strict mode refuses is refused before anything is sent --------
echo '{"type": "object", "properties": {"color": {"type": "string"}}}' >loose.json
before=$(sim_stat requests)
status=0
"$VB_BIN" run --base-url "$SIM_URL" -q --schema loose.json --no-journal -o loose.out photos \
    2>loose.err || status=$?
[ "$status" -eq 2 ] || fail "a loose schema: exit $status, expected 2"
grep -q 'loose.json: \$: strict mode needs "additionalProperties": false' loose.err \
    || { cat loose.err; fail "a loose schema: reason"; }
[ "$(sim_stat requests)" -eq "$before" ] || fail "a loose schema: requests were sent"

# ---- the journal's job includes the schema -------------------------------------------
"$VB_BIN" run --base-url "$SIM_URL" -q --schema product-attrs.json -o j.jsonl \
    photos/product-000001.jpg || true
sed 's/"boxed": {"type": "boolean"}/"boxed": {"type": "string"}/' product-attrs.json >other.json
status=0
"$VB_BIN" run --base-url "$SIM_URL" -q --schema other.json -o j.jsonl \
    photos/product-000001.jpg 2>refused.err || status=$?
[ "$status" -eq 2 ] || fail "another schema on the same journal: exit $status, expected 2"
grep -q -- "--new-job" refused.err || fail "another schema: no hint"
echo "run_json: ok"
