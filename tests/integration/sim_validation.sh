# sim_validation.sh - the simulator validates, bills and answers like a strict provider.
#
# Image tokens follow docs/provider-facts.md §2 (gpt-4o: 85 + 170 per 512 px tile).
source "$(dirname "$0")/lib.sh"

# An 8x8 black baseline JPEG (made with `vips black`, stripped), for the mislabel check.
JPEG_B64='/9j/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/wAALCAAIAAgBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/APP6/9k='

# Request bodies, written by Python: a 600x1100 PNG (short side <= 768, so unscaled:
# ceil(600/512) * ceil(1100/512) = 6 tiles -> 85 + 6*170 = 1105 tokens for gpt-4o).
py "$TMP" "$JPEG_B64" <<'EOF'
import base64, hashlib, json, os, struct, sys, zlib
tmp, jpeg_b64 = sys.argv[1], sys.argv[2]

sys.path.insert(0, os.path.join(os.environ["VB_SRC"], "tests", "integration"))
from test_images import png  # noqa: E402

img = png(600, 1100)
open(f"{tmp}/img.png", "wb").write(img)
open(f"{tmp}/img.sha256", "w").write(hashlib.sha256(img).hexdigest())
small = png(40, 30)
open(f"{tmp}/small.sha256", "w").write(hashlib.sha256(small).hexdigest())

def body(url, model="gpt-4o", detail=None, extra=None, text="Describe this product"):
    iu = {"url": url}
    if detail:
        iu["detail"] = detail
    b = {"model": model, "messages": [{"role": "user", "content": [
        {"type": "text", "text": text}, {"type": "image_url", "image_url": iu}]}],
         "max_tokens": 300}
    b.update(extra or {})
    return json.dumps(b, separators=(",", ":"))

def data_url(mime, data):
    return f"data:{mime};base64," + base64.b64encode(data).decode()

def write(name, text):
    open(f"{tmp}/{name}.json", "w").write(text)

write("valid", body(data_url("image/png", img), detail="high"))
write("valid_low", body(data_url("image/png", img), detail="low"))
write("small_twice", json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": [
    {"type": "image_url", "image_url": {"url": data_url("image/png", small)}},
    {"type": "image_url", "image_url": {"url": data_url("image/png", small)}}]}]}))
write("mislabelled", body(data_url("image/png", base64.b64decode(jpeg_b64))))
write("jpeg_ok", body(data_url("image/jpeg", base64.b64decode(jpeg_b64))))
jpeg = base64.b64decode(jpeg_b64)
dht = jpeg.index(b"\xff\xc4")  # a Huffman table with more codes than it can hold
bad_huff = jpeg[: dht + 5] + b"\xff" + jpeg[dht + 6 :]
write("jpeg_bad_huffman", body(data_url("image/jpeg", bad_huff)))  # size readable, pixels not
write("garbage_b64", body("data:image/png;base64,!!!!not*base64??"))
write("truncated", body(data_url("image/png", img[: len(img) // 2])))
write("text_as_image", body(data_url("image/png", b"just some text, not an image\n")))
write("bmp_mime", body("data:image/bmp;base64,AAAA"))
write("ftp_url", body("ftp://example.com/a.png"))
write("http_url", body("https://example.com/a.png"))
write("bad_detail", body(data_url("image/png", small), detail="medium"))
write("bad_part", json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": [
    {"type": "input_audio", "input_audio": {}}]}]}))
write("system_image", json.dumps({"model": "gpt-4o", "messages": [{"role": "system", "content": [
    {"type": "image_url", "image_url": {"url": data_url("image/png", small)}}]}]}))
write("no_model", json.dumps({"messages": [{"role": "user", "content": "hi"}]}))
write("empty_messages", json.dumps({"model": "gpt-4o", "messages": []}))
write("bad_role", json.dumps({"model": "gpt-4o", "messages": [{"role": "robot", "content": "hi"}]}))
write("bad_max_tokens", body(data_url("image/png", small), extra={"max_tokens": 0}))
write("unknown_param", body(data_url("image/png", small), extra={"frobnicate": True}))
write("short_answer", body(data_url("image/png", small), extra={"max_tokens": 5}))
write("bad_json", '{"model": "gpt-4o", "messages": [')
EOF

# post NAME [curl options...]: POSTs $TMP/NAME.json; prints the status, keeps the body in
# $TMP/resp.
post() {
    local name=$1
    shift
    curl -s -o "$TMP/resp" -w '%{http_code}' -H 'Content-Type: application/json' "$@" \
        --data-binary @"$TMP/$name.json" "$SIM_URL/chat/completions"
}

# expect_error NAME STATUS [CODE]: the request is refused with an OpenAI error object.
expect_error() {
    local name=$1 want=$2 code=${3:-}
    local got
    got=$(post "$name")
    [ "$got" = "$want" ] || fail "$name: status $got, expected $want: $(cat "$TMP/resp")"
    py "$TMP/resp" "$code" <<'EOF' || fail "$name: bad error body: $(cat "$TMP/resp")"
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert set(e) == {"message", "type", "param", "code"}, e
assert e["type"] == "invalid_request_error" and e["message"], e
if sys.argv[2]:
    assert e["code"] == sys.argv[2], e
EOF
}

start_sim --record-requests "$TMP/recorded.jsonl"

# A valid request: 200, the image's hash in the content, gpt-4o tile billing.
status=$(post valid -D "$TMP/headers")
[ "$status" = 200 ] || fail "valid request: status $status: $(cat "$TMP/resp")"
grep -qi '^x-request-id: req_sim_' "$TMP/headers" || fail "no x-request-id header"
grep -qi '^openai-processing-ms: [0-9]' "$TMP/headers" || fail "no openai-processing-ms header"
grep -qi '^content-type: application/json' "$TMP/headers" || fail "not application/json"
py "$TMP/resp" "$(cat "$TMP/img.sha256")" <<'EOF' || fail "valid request: bad answer: $(cat "$TMP/resp")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["object"] == "chat.completion" and r["model"] == "gpt-4o", r
assert r["id"].startswith("chatcmpl-sim-"), r
c = r["choices"][0]
assert c["index"] == 0 and c["message"]["role"] == "assistant" and c["finish_reason"] == "stop"
assert "sha256:" + sys.argv[2] in c["message"]["content"], c
assert "(png 600x1100)" in c["message"]["content"], c
u = r["usage"]
# 85 + 170 * 6 tiles, + ceil(21 bytes of text / 4), + 7 for the one message
assert u["prompt_tokens"] == 1105 + 6 + 7, u
assert u["completion_tokens"] > 0, u
assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"], u
EOF

# Low detail: the base 85 only.
[ "$(post valid_low)" = 200 ] || fail "low detail: $(cat "$TMP/resp")"
py "$TMP/resp" <<'EOF' || fail "low detail billing: $(cat "$TMP/resp")"
import json, sys
assert json.load(open(sys.argv[1]))["usage"]["prompt_tokens"] == 85 + 6 + 7
EOF

# The same small image twice: two images billed, one distinct; both named in order.
[ "$(post small_twice)" = 200 ] || fail "two images: $(cat "$TMP/resp")"
py "$TMP/resp" "$(cat "$TMP/small.sha256")" <<'EOF' || fail "two images: $(cat "$TMP/resp")"
import json, sys
r = json.load(open(sys.argv[1]))
content = r["choices"][0]["message"]["content"]
h = sys.argv[2]
assert f"Image 1: sha256:{h} (png 40x30)" in content and f"Image 2: sha256:{h}" in content
assert r["usage"]["prompt_tokens"] == 2 * 255 + 7, r["usage"]
EOF

# A real JPEG declared as JPEG is fine; an http(s) URL is billed at the base, unfetched.
[ "$(post jpeg_ok)" = 200 ] || fail "jpeg: $(cat "$TMP/resp")"
expect_error jpeg_bad_huffman 400 invalid_image
[ "$(post http_url)" = 200 ] || fail "https URL: $(cat "$TMP/resp")"
py "$TMP/resp" <<'EOF' || fail "https URL answer: $(cat "$TMP/resp")"
import hashlib, json, sys
r = json.load(open(sys.argv[1]))
h = hashlib.sha256(b"https://example.com/a.png").hexdigest()
assert f"sha256:{h} (url)" in r["choices"][0]["message"]["content"], r
assert r["usage"]["prompt_tokens"] == 85 + 6 + 7, r["usage"]
EOF

# max_tokens caps the answer: finish_reason "length".
[ "$(post short_answer)" = 200 ] || fail "short answer: $(cat "$TMP/resp")"
py "$TMP/resp" <<'EOF' || fail "max_tokens not applied: $(cat "$TMP/resp")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["choices"][0]["finish_reason"] == "length", r
assert r["usage"]["completion_tokens"] == 5, r["usage"]
assert len(r["choices"][0]["message"]["content"]) <= 20, r
EOF

# Everything a strict provider refuses.
expect_error mislabelled 400 invalid_image_format
grep -q 'declared image/png but data is image/jpeg' "$TMP/resp" || fail "mislabel message: $(cat "$TMP/resp")"
expect_error garbage_b64 400 invalid_image
expect_error truncated 400 invalid_image
expect_error text_as_image 400 invalid_image_format
expect_error bmp_mime 400 invalid_image_format
expect_error ftp_url 400 invalid_image_url
expect_error bad_detail 400 invalid_value
expect_error bad_part 400 invalid_value
expect_error system_image 400
expect_error no_model 400
grep -q '"param":"model"' "$TMP/resp" || fail "no_model: param is not model: $(cat "$TMP/resp")"
expect_error empty_messages 400 empty_array
expect_error bad_role 400 invalid_value
expect_error bad_max_tokens 400
expect_error unknown_param 400 unknown_parameter
expect_error bad_json 400

# The counters: 6 answered, 16 refused.
py "$(curl -sf "${SIM_URL%/v1}/sim/stats")" <<'EOF' || fail "stats: $(curl -s "${SIM_URL%/v1}/sim/stats")"
import json, sys
s = json.loads(sys.argv[1])
assert s["requests"] == 6 + 16, s
assert s["responses"] == {"200": 6, "400": 16}, s
# the seven image refusals above (jpeg_bad_huffman, mislabelled ... ftp_url) are counted
# as invalid images
assert s["invalid_images"] == 7, s
assert s["in_flight"] == 0 and s["max_in_flight"] >= 1, s
# images: valid, valid_low (same PNG), small x2, jpeg, url, short_answer (small)
assert s["images_billed"] == 7, s
assert s["distinct_images_billed"] == 4, s
assert s["image_tokens"] == 1105 + 85 + 2 * 255 + 255 + 85 + 255, s
assert s["prompt_tokens"] > s["image_tokens"] and s["completion_tokens"] > 0, s
EOF
[ "$(sim_stat responses.200)" = 6 ] || fail "sim_stat responses.200"

# Every body was recorded, one per line, exactly as sent.
[ "$(wc -l <"$TMP/recorded.jsonl")" = 22 ] || fail "recorded $(wc -l <"$TMP/recorded.jsonl") lines, expected 22"
head -n 1 "$TMP/recorded.jsonl" | cmp -s - <(cat "$TMP/valid.json"; echo) || fail "recorded body differs"

# /sim/reset zeroes the counters.
curl -sf -X POST "${SIM_URL%/v1}/sim/reset" >/dev/null || fail "reset"
[ "$(sim_stat requests)" = 0 ] || fail "reset did not zero requests"
[ "$(sim_stat distinct_images_billed)" = 0 ] || fail "reset did not forget images"

# /v1/models; unknown paths and wrong methods.
models=$(curl -sf "$SIM_URL/models") || fail "GET /v1/models"
py "$models" <<'EOF' || fail "models: $models"
import json, sys
m = json.loads(sys.argv[1])
assert m["object"] == "list" and any(x["id"] == "gpt-4o-mini" for x in m["data"]), m
assert all(x["object"] == "model" for x in m["data"]), m
EOF
[ "$(curl -s -o /dev/null -w '%{http_code}' "$SIM_URL/nothing")" = 404 ] || fail "unknown path is not 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$SIM_URL/chat/completions")" = 405 ] || fail "GET chat is not 405"

# A body over --max-body-bytes gets 413.
start_sim --max-body-bytes 1000
expect_error valid 413 request_too_large

# --key: a wrong or missing key gets 401 invalid_api_key; the right one passes.
start_sim --key secret
[ "$(post valid -H 'Authorization: Bearer wrong')" = 401 ] || fail "wrong key accepted"
grep -q '"code":"invalid_api_key"' "$TMP/resp" || fail "401 code: $(cat "$TMP/resp")"
expect_error valid 401 invalid_api_key
[ "$(post valid -H 'Authorization: Bearer secret')" = 200 ] || fail "right key refused: $(cat "$TMP/resp")"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$SIM_URL/models")" = 401 ] || fail "models without key"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer secret' "$SIM_URL/models")" = 200 ] ||
    fail "models with key"

# Latency: each valid answer waits 300 +- 50 ms, and waiting calls do not block each other.
start_sim --latency-ms 300 --jitter-ms 50 --seed 7
t=$(curl -s -o /dev/null -w '%{time_total}' --data-binary @"$TMP/valid_low.json" "$SIM_URL/chat/completions")
py "$t" <<'EOF' || fail "latency: one call took ${t}s, expected 0.25..0.35 s plus overhead"
import sys
assert 0.25 <= float(sys.argv[1]) < 1.0
EOF
start_ns=$(date +%s%N)
pids=()
for i in 1 2 3 4 5 6 7 8; do
    curl -s -o /dev/null --data-binary @"$TMP/valid_low.json" "$SIM_URL/chat/completions" &
    pids+=($!)
done
wait "${pids[@]}"
elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
[ "$elapsed_ms" -lt 1500 ] || fail "8 concurrent calls took ${elapsed_ms} ms: the latency is serialised"
[ "$(sim_stat responses.200)" = 9 ] || fail "concurrent calls: $(sim_stat responses.200) answered"
[ "$(sim_stat max_in_flight)" -ge 2 ] || fail "max_in_flight $(sim_stat max_in_flight) < 2"

# --no-decode: the header and end marker are checked, the pixels are not.
start_sim --no-decode
[ "$(post jpeg_bad_huffman)" = 200 ] || fail "--no-decode: $(cat "$TMP/resp")"
expect_error truncated 400 invalid_image

# SIGTERM ends it cleanly.
kill -TERM "$SIM_PID"
wait "$SIM_PID" || fail "simulator exited with $? on SIGTERM"

echo "sim_validation: ok"
