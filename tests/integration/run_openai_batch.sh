# run_openai_batch.sh - OpenAI Batch API files run at real-time speed: the example lines
# of OpenAI's Batch API guide (tests/data/openai-batch-guide.jsonl) run unmodified and
# give lines in OpenAI's batch output format; local image paths in a body are inlined as
# data URLs (bad images fail as for any input), remote URLs kept, the model is the
# body's; costs, the journal and resume work for these items.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/photos"
gen_images "$TMP/photos" 2 --seed 81 --min-side 48 --max-side 160 --format jpeg
gen_images "$TMP/photos" 1 --seed 82 --min-side 48 --max-side 160 --format png --start 3
cd "$TMP"
GUIDE="$VB_TEST_DATA/openai-batch-guide.jsonl"
start_sim --latency-ms 5 --record-requests "$TMP/requests.jsonl"

# ---- the guide's lines, unmodified ------------------------------------------------------
"$VB_BIN" run --base-url "$SIM_URL" -q --output-format openai-batch -o guide.out "$GUIDE" \
    || fail "the guide's batch file did not run"
py guide.out requests.jsonl "$GUIDE" <<'PY'
import json, re, sys
out = [json.loads(l) for l in open(sys.argv[1])]
reqs = [json.loads(l) for l in open(sys.argv[2])]
lines = [json.loads(l) for l in open(sys.argv[3])]
assert len(out) == 2 and len(reqs) == 2, (len(out), len(reqs))
# the bodies went as they are in the file
assert sorted(map(json.dumps, reqs)) == sorted(json.dumps(l["body"]) for l in lines), (reqs, lines)
assert sorted(o["custom_id"] for o in out) == ["request-1", "request-2"]
for o in out:
    assert list(o) == ["id", "custom_id", "response", "error"], list(o)
    assert re.fullmatch(r"batch_req_[0-9a-f]{32}", o["id"]), o["id"]
    assert o["error"] is None
    r = o["response"]
    assert list(r) == ["status_code", "request_id", "body"], list(r)
    assert r["status_code"] == 200 and re.fullmatch(r"req_sim_\d+", r["request_id"])
    b = r["body"]
    assert b["object"] == "chat.completion" and b["model"] == "gpt-3.5-turbo-0125", b
    assert b["choices"][0]["message"]["role"] == "assistant"
    assert b["usage"]["prompt_tokens"] > 0
PY
/usr/bin/python3 "$VB_SRC/tests/schema/validate_requests.py" \
    "$VB_SRC/tests/schema/create-chat-completion-request.schema.json" requests.jsonl >/dev/null \
    || fail "the guide's bodies do not validate"

# ---- images: local paths inlined, URLs kept, bad files reported ----------------------------
head -c 300 photos/product-000002.jpg >photos/truncated.jpg
ABS="$TMP/photos/product-000003.png"
part() { printf '{"type":"image_url","image_url":{"url":"%s"%s}}' "$1" "${2:+,\"detail\":\"$2\"}"; }
line() { # ID PARTS...
    local id=$1; shift
    local parts
    parts=$(IFS=,; echo "$*")
    printf '{"custom_id":"%s","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o","messages":[{"role":"system","content":"You describe products."},{"role":"user","content":[{"type":"text","text":"What is this?"},%s]}],"max_tokens":200}}\n' "$id" "$parts"
}
{
    line img-rel "$(part photos/product-000001.jpg low)"
    line img-abs-and-url "$(part "$ABS")" "$(part https://cdn.example.com/a.png high)"
    line img-file-url "$(part "file://$TMP/photos/product-000002.jpg")"
    line img-missing "$(part photos/nope.jpg)"
    line img-truncated "$(part photos/truncated.jpg)"
    echo '{"custom_id":"emb","method":"POST","url":"/v1/embeddings","body":{"model":"x","input":"hi"}}'
    # strict mode refuses this schema: the provider's 400 is the line's response
    echo '{"custom_id":"loose","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":{"type":"object"}}}}}'
} >images.jsonl
: >requests.jsonl
status=0
"$VB_BIN" run --base-url "$SIM_URL" -q --output-format openai-batch -o images.out images.jsonl \
    || status=$?
[ "$status" -eq 1 ] || fail "image batch file: exit $status, expected 1 (four bad lines)"
py images.out requests.jsonl images.jsonl "$TMP" <<'PY'
import base64, hashlib, json, sys
out = {o["custom_id"]: o for o in map(json.loads, open(sys.argv[1]))}
reqs = [json.loads(l) for l in open(sys.argv[2])]
src = {l["custom_id"]: l for l in map(json.loads, open(sys.argv[3]))}
tmp = sys.argv[4]
sha = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
assert len(out) == 7 and len(reqs) == 4, (len(out), len(reqs), list(out))
loose = out["loose"]
assert loose["error"] is None and loose["response"]["status_code"] == 400, loose
assert loose["response"]["body"]["error"]["code"] == "invalid_json_schema", loose
assert loose["response"]["request_id"].startswith("req_sim_")
reqs = [r for r in reqs if "response_format" not in r]
for cid, path in (("img-rel", "photos/product-000001.jpg"),
                  ("img-abs-and-url", "photos/product-000003.png"),
                  ("img-file-url", "photos/product-000002.jpg")):
    o = out[cid]
    assert o["error"] is None and o["response"]["status_code"] == 200, o
    content = o["response"]["body"]["choices"][0]["message"]["content"]
    assert "Image 1: sha256:" + sha(tmp + "/" + path) in content, (cid, content)
    assert o["response"]["body"]["model"] == "gpt-4o"
# the bodies sent: the file's, with data URLs in place of the local paths
by_text = {}
for r in reqs:
    urls = [p["image_url"]["url"] for p in r["messages"][1]["content"] if p["type"] == "image_url"]
    first = base64.b64decode(urls[0].split(",", 1)[1])
    by_text[hashlib.sha256(first).hexdigest()] = (r, urls)
r, urls = by_text[sha(tmp + "/photos/product-000003.png")]
assert urls[0].startswith("data:image/png;base64,") and urls[1] == "https://cdn.example.com/a.png"
want = json.loads(json.dumps(src["img-abs-and-url"]["body"]))
want["messages"][1]["content"][1]["image_url"]["url"] = urls[0]
assert r == want, "the body changed beyond the inlined image"
r, urls = by_text[sha(tmp + "/photos/product-000001.jpg")]
assert urls[0].startswith("data:image/jpeg;base64,")
assert r["messages"][1]["content"][1]["image_url"]["detail"] == "low"
assert out["img-missing"]["response"] is None
assert out["img-missing"]["error"]["code"] == "not_found", out["img-missing"]
assert out["img-truncated"]["response"] is None
assert out["img-truncated"]["error"]["code"] in ("corrupt_image", "truncated_image"), out["img-truncated"]
assert out["emb"]["error"]["code"] == "bad_manifest_line" and "/v1/embeddings" in out["emb"]["error"]["message"]
PY
/usr/bin/python3 "$VB_SRC/tests/schema/validate_requests.py" \
    "$VB_SRC/tests/schema/create-chat-completion-request.schema.json" requests.jsonl >/dev/null \
    || fail "image batch bodies do not validate"

# ---- costs by the body's model, the journal and resume (default JSONL lines) -----------
: >requests.jsonl
status=0
"$VB_BIN" run --base-url "$SIM_URL" -m gpt-4o-mini -q -o costs.jsonl images.jsonl || status=$?
[ "$status" -eq 1 ] || fail "JSONL run of the batch file: exit $status"
py costs.jsonl <<'PY'
import json, sys
out = {l["id"]: l for l in map(json.loads, open(sys.argv[1]))}
for cid in ("img-rel", "img-abs-and-url", "img-file-url"):
    l = out[cid]
    assert l["status"] == "ok" and l["model"] == "gpt-4o", l
    u = l["usage"]  # priced as gpt-4o ($2.50 / $10 per 1M), not the job's gpt-4o-mini
    want = (u["prompt_tokens"] * 2.5 + u["completion_tokens"] * 10.0) / 1e6
    assert abs(l["cost_usd"] - want) < 1e-9, (l["cost_usd"], want)
assert out["img-rel"]["content_hash"].startswith("sha256:")
PY
[ "$(wc -l <requests.jsonl)" -eq 4 ] || fail "JSONL run: not 4 requests"
"$VB_BIN" run --base-url "$SIM_URL" -m gpt-4o-mini -q -o costs.jsonl images.jsonl || true
[ "$(wc -l <requests.jsonl)" -eq 4 ] || fail "resume sent the finished lines again"
[ "$(wc -l <costs.jsonl)" -eq 7 ] || fail "resume: not 7 lines replayed"
"$VB_BIN" status --json costs.journal >status.json
py status.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["counts"]["ok"] == 3 and s["counts"]["failed"] == 4, s
PY
# a budget needs each line's price: the guide's gpt-3.5-turbo-0125 has none, so its lines
# are not sent; the gpt-4o lines are
: >requests.jsonl
status=0
"$VB_BIN" run --base-url "$SIM_URL" -q --budget 1 --no-journal -o budget.jsonl "$GUIDE" \
    images.jsonl || status=$?
[ "$status" -eq 1 ] || fail "budget run: exit $status, expected 1"
[ "$(wc -l <requests.jsonl)" -eq 4 ] || fail "budget run: $(wc -l <requests.jsonl) requests, expected 4"
py budget.jsonl <<'PY'
import json, sys
out = {l["id"]: l for l in map(json.loads, open(sys.argv[1]))}
for cid in ("request-1", "request-2"):
    assert out[cid]["error"]["kind"] == "unknown_price", out[cid]
    assert "gpt-3.5-turbo-0125" in out[cid]["error"]["message"]
assert out["img-rel"]["status"] == "ok" and out["img-rel"]["cost_usd"] > 0
PY
echo "run_openai_batch: ok"
