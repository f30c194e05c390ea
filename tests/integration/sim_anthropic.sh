# sim_anthropic.sh - the simulator speaks Anthropic Messages on POST /v1/messages: its
# headers, strict request checks, answers, error bodies, limit headers, quota and faults
# (docs/batch-api-facts.md §2 and §4). Claude's image-token formula is not checked here
# (tests/unit/cost/test_tokens.c does): the usage must only agree with what the
# simulator says it billed (/sim/stats image_tokens) plus the text and message overhead.
source "$(dirname "$0")/lib.sh"

# An 8x8 black baseline JPEG (the one sim_validation.sh uses), for the mislabel check.
JPEG_B64='/9j/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/wAALCAAIAAgBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/APP6/9k='

py "$TMP" "$JPEG_B64" <<'EOF'
import base64, hashlib, json, os, sys
tmp, jpeg_b64 = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(os.environ["VB_SRC"], "tests", "integration"))
from test_images import png  # noqa: E402

img = png(600, 1100)
open(f"{tmp}/img.sha256", "w").write(hashlib.sha256(img).hexdigest())
small = png(40, 30)

def b64(data):
    return base64.b64encode(data).decode()

def image(data, media_type="image/png"):
    return {"type": "image", "source": {"type": "base64", "media_type": media_type,
                                        "data": b64(data)}}

def body(blocks, extra=None, drop=(), text="Describe this product"):
    b = {"model": "claude-sonnet-4-5", "max_tokens": 300,
         "messages": [{"role": "user", "content": [{"type": "text", "text": text}] + blocks}]}
    b.update(extra or {})
    for k in drop:
        del b[k]
    return json.dumps(b, separators=(",", ":"))

def write(name, text):
    open(f"{tmp}/{name}.json", "w").write(text)

# "Describe this product" (21 bytes: 6 tokens) and "be brief" (8 bytes: 2 tokens)
write("valid", body([image(img)], extra={"system": "be brief"}))
write("valid_url", body([{"type": "image", "source": {"type": "url",
                                                      "url": "https://example.com/a.png"}}]))
write("mislabelled", body([image(base64.b64decode(jpeg_b64))]))
write("bad_media_type", body([image(small, "image/bmp")]))
wide = png(2001, 4)
write("many_wide", body([image(small)] * 20 + [image(wide)]))      # 21 images, one 2001 px
write("twenty_wide", body([image(small)] * 19 + [image(wide)]))    # 20 images: allowed
write("too_wide", body([image(png(8001, 2))]))
write("too_many", body([image(small)] * 101))
write("no_max_tokens", body([image(small)], drop=("max_tokens",)))
write("zero_max_tokens", body([image(small)], extra={"max_tokens": 0}))
write("unknown_block", body([{"type": "audio", "source": {}}]))
write("unknown_source", body([{"type": "image", "source": {"type": "ftp", "url": "x"}}]))
write("unknown_field", body([image(small)], extra={"frobnicate": True}))
write("big_image", body([{"type": "image", "source": {"type": "base64",
                          "media_type": "image/png", "data": "AAAA" * (2621440 + 1)}}]))
write("short", body([image(small)], extra={"max_tokens": 5}))
write("schema", body([image(small)], extra={"output_config": {"format": {
    "type": "json_schema", "schema": {"type": "object", "properties": {
        "color": {"type": "string"}, "count": {"type": "integer"}},
        "required": ["color", "count"], "additionalProperties": False}}}}))
write("openai_shaped", json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 10,
    "messages": [{"role": "user", "content": [{"type": "image_url",
                                               "image_url": {"url": "https://x/a.png"}}]}]}))
write("not_claude", body([image(small)], extra={"model": "gpt-4o"}))
write("small", body([image(small)]))
# 33 MiB: over Anthropic's 32 MB cap, under --max-body-bytes' 50 MiB default
open(f"{tmp}/huge.json", "w").write('{"x":"' + "A" * (33 * 1024 * 1024) + '"}')
EOF

# post NAME [curl options...]: POSTs $TMP/NAME.json to /v1/messages with Anthropic's
# headers (x-api-key: secret unless NOKEY=1, anthropic-version unless NOVERSION=1,
# content-type: $CTYPE or application/json);
# prints the status, keeps the body in $TMP/resp and the headers in $TMP/hdr.
post() {
    local name=$1
    shift
    local h=(-H "content-type: ${CTYPE:-application/json}")
    [ "${NOKEY:-}" = 1 ] || h+=(-H 'x-api-key: secret')
    [ "${NOVERSION:-}" = 1 ] || h+=(-H 'anthropic-version: 2023-06-01')
    curl -s -o "$TMP/resp" -D "$TMP/hdr" -w '%{http_code}' "${h[@]}" "$@" \
        --data-binary @"$TMP/$name.json" "${SIM_URL%/v1}/v1/messages"
}

# check WHAT [args...] <<'EOF' ... EOF: a Python check with H (the last response's
# headers, lowercase names), B (its JSON body), S (/sim/stats), ARGS.
check() {
    local what=$1
    shift
    local code
    code=$(cat)
    curl -sf "${SIM_URL%/v1}/sim/stats" >"$TMP/stats" || fail "$what: GET /sim/stats"
    python3 - "$TMP/hdr" "$TMP/resp" "$TMP/stats" "$@" <<EOF ||
import json, re, sys
H = {}
for line in open(sys.argv[1], encoding="latin-1").read().splitlines()[1:]:
    if ":" in line:
        k, v = line.split(":", 1)
        H[k.strip().lower()] = v.strip()
try:
    B = json.load(open(sys.argv[2]))
except ValueError:
    B = None
S = json.load(open(sys.argv[3]))
ARGS = sys.argv[4:]
def error(status_type, contains=""):
    assert set(B) == {"type", "error", "request_id"}, B
    assert B["type"] == "error" and set(B["error"]) == {"type", "message"}, B
    assert B["error"]["type"] == status_type, B
    assert contains in B["error"]["message"], B
    assert re.fullmatch(r"req_sim_\d+", B["request_id"]), B
$code
EOF
        fail "$what: $(cat "$TMP/hdr" "$TMP/resp"; echo; cat "$TMP/stats")"
}

# expect STATUS NAME [curl options...]: the status of posting NAME.
expect() {
    local want=$1 name=$2
    shift 2
    local got
    got=$(post "$name" "$@")
    [ "$got" = "$want" ] || fail "$name: status $got, expected $want: $(cat "$TMP/resp")"
}

start_sim --key secret --record-requests "$TMP/recorded.jsonl"

# --- A valid request: 200, the message shape, usage, request-id ---------------------------
expect 200 valid
check "valid answer" "$(cat "$TMP/img.sha256")" <<'EOF'
assert H["content-type"].startswith("application/json"), H
m = re.fullmatch(r"req_sim_(\d+)", H["request-id"])
assert m, H
assert B["id"] == "msg_sim_" + m.group(1), B
assert B["type"] == "message" and B["role"] == "assistant", B
assert B["model"] == "claude-sonnet-4-5", B
assert B["stop_reason"] == "end_turn" and B["stop_sequence"] is None, B
assert len(B["content"]) == 1 and B["content"][0]["type"] == "text", B
text = B["content"][0]["text"]
assert f"sha256:{ARGS[0]}" in text and "(png 600x1100)" in text, text
u = B["usage"]
assert set(u) == {"input_tokens", "output_tokens", "cache_creation_input_tokens",
                  "cache_read_input_tokens"}, u
assert u["cache_creation_input_tokens"] == 0 and u["cache_read_input_tokens"] == 0, u
# the image's tokens (Claude's formula) + 6 + 2 text tokens + 7 for the message and 7 for
# the system prompt
assert S["image_tokens"] > 0 and u["input_tokens"] == S["image_tokens"] + 6 + 2 + 14, (u, S)
assert u["output_tokens"] == S["completion_tokens"] > 0, (u, S)
assert S["requests_by_protocol"] == {"openai": 0, "anthropic": 1, "gemini": 0}, S
assert not any(k.startswith(("x-ratelimit", "anthropic-ratelimit", "x-request-id")) for k in H), H
EOF

# An https URL source is taken unfetched; max_tokens cuts the answer (stop_reason
# max_tokens); an output_config json_schema gets JSON of the schema.
expect 200 valid_url
check "url source" <<'EOF'
import hashlib
h = hashlib.sha256(b"https://example.com/a.png").hexdigest()
assert f"sha256:{h} (url)" in B["content"][0]["text"], B
EOF
expect 200 short
check "max_tokens cut" <<'EOF'
assert B["stop_reason"] == "max_tokens" and B["usage"]["output_tokens"] == 5, B
EOF
expect 200 schema
check "json schema answer" <<'EOF'
v = json.loads(B["content"][0]["text"])
assert set(v) == {"color", "count"} and isinstance(v["count"], int), v
assert v["color"].startswith("sha256:"), v
EOF
# 20 images with one 2001 px wide is not a many-image request: allowed
expect 200 twenty_wide

# --- Authentication and headers ------------------------------------------------------------
NOKEY=1 expect 401 valid
check "no key" <<'EOF'
error("authentication_error", "invalid x-api-key")
EOF
NOKEY=1 expect 401 valid -H 'x-api-key: wrong'
check "wrong key" <<'EOF'
error("authentication_error", "invalid x-api-key")
EOF
NOKEY=1 expect 401 valid -H 'Authorization: Bearer secret' # OpenAI's header is not Anthropic's
NOVERSION=1 expect 400 valid
check "no anthropic-version" <<'EOF'
error("invalid_request_error", "anthropic-version")
EOF
CTYPE=text/plain expect 400 valid

# --- What a strict API refuses ---------------------------------------------------------------
expect 400 mislabelled
check "media type mismatch" <<'EOF'
error("invalid_request_error", "messages.0.content.1.image.source.base64.data: Image does not "
      "match the provided media type image/png")
EOF
expect 400 bad_media_type
expect 400 many_wide
check "many-image request" <<'EOF'
error("invalid_request_error", "many-image requests: 2000 pixels")
assert "messages.0.content.21.image" in B["error"]["message"], B
EOF
expect 400 too_wide
check "8000 px" <<'EOF'
error("invalid_request_error", "max allowed size: 8000 pixels")
EOF
expect 400 too_many
check "101 images" <<'EOF'
error("invalid_request_error", "at most 100")
EOF
expect 400 no_max_tokens
check "max_tokens missing" <<'EOF'
error("invalid_request_error", "max_tokens: Field required")
EOF
expect 400 zero_max_tokens
expect 400 unknown_block
check "unknown block" <<'EOF'
error("invalid_request_error", "Input tag 'audio'")
EOF
expect 400 unknown_source
expect 400 unknown_field
check "unknown field" <<'EOF'
error("invalid_request_error", "frobnicate: Extra inputs are not permitted")
EOF
expect 400 big_image
check "image over 10 MB" <<'EOF'
error("invalid_request_error", "image exceeds 10 MB maximum: 10485764 bytes > 10485760 bytes")
EOF
expect 400 openai_shaped
expect 404 not_claude
check "not a Claude model" <<'EOF'
error("not_found_error", "model: gpt-4o")
EOF
expect 413 huge
check "over 32 MB" <<'EOF'
error("request_too_large")
EOF
# the same body on the OpenAI path is within --max-body-bytes: a 400, not a 413
got=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer secret' \
    --data-binary @"$TMP/huge.json" "$SIM_URL/chat/completions")
[ "$got" = 400 ] || fail "33 MiB on the OpenAI path: $got"

check "stats" <<'EOF'
assert S["requests_by_protocol"] == {"openai": 1, "anthropic": 24, "gemini": 0}, S
assert S["responses"] == {"200": 5, "400": 15, "401": 3, "404": 1, "413": 1}, S
# mislabelled, bad_media_type, many_wide, too_wide, big_image
assert S["invalid_images"] == 5, S
EOF
# every body is recorded but the 413's (dropped unread)
[ "$(wc -l <"$TMP/recorded.jsonl")" = 24 ] || fail "recorded $(wc -l <"$TMP/recorded.jsonl") lines"

# A smaller --max-body-bytes applies to this path too.
start_sim --max-body-bytes 1000
expect 413 valid
check "413 by --max-body-bytes" <<'EOF'
error("request_too_large", "1000 bytes")
EOF

# --- Rate limits: anthropic-ratelimit-* headers, 429 rate_limit_error with retry-after -----
# one request a second with a burst of one: the second request at once is refused
start_sim --rpm 60 --tpm 6000000 --burst-s 0.01
expect 200 small
check "limit headers on a 200" <<'EOF'
import datetime
now = datetime.datetime.now(datetime.timezone.utc)
assert not any(k.startswith("x-ratelimit") for k in H), H
assert H["anthropic-ratelimit-requests-limit"] == "60", H
assert H["anthropic-ratelimit-requests-remaining"] == "0", H
for kind in ("tokens", "input-tokens", "output-tokens"):
    assert H[f"anthropic-ratelimit-{kind}-limit"] == "6000000", H
    assert 0 <= int(H[f"anthropic-ratelimit-{kind}-remaining"]) < 6000000, H
for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
    reset = H[f"anthropic-ratelimit-{kind}-reset"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", reset), reset
    t = datetime.datetime.fromisoformat(reset.replace("Z", "+00:00"))
    assert -1 <= (t - now).total_seconds() <= 3, (reset, now)
EOF
expect 429 small
check "429 over RPM" <<'EOF'
error("rate_limit_error", "60 requests per minute")
assert re.fullmatch(r"[1-9]\d*", H["retry-after"]) and int(H["retry-after"]) <= 2, H
assert "retry-after-ms" not in H and H["anthropic-ratelimit-requests-limit"] == "60", H
assert S["rate_limited"] == 1, S
EOF
# a request heavier than all of --tpm can never go
start_sim --tpm 100
expect 429 small
check "larger than TPM" <<'EOF'
error("rate_limit_error", "100 tokens per minute on its own")
assert H["x-should-retry"] == "false" and "retry-after" not in H, H
EOF

# --- Quota: out of credit is a 400 -----------------------------------------------------------
start_sim --quota-after 1
expect 200 small
expect 400 small
check "quota" <<'EOF'
error("invalid_request_error", "Your credit balance is too low to access the Anthropic API. "
      "Please go to Plans & Billing to upgrade or purchase credits.")
assert S["quota_rejected"] == 1, S
EOF

# --- Injected faults: 500 api_error and 529 overloaded_error in turn --------------------------
start_sim --fail-rate 1
expect 500 small
check "500" <<'EOF'
error("api_error")
EOF
expect 529 small
check "529" <<'EOF'
error("overloaded_error", "Overloaded")
assert S["faults"]["500"] == 1 and S["faults"]["529"] == 1, S
assert S["image_tokens"] == 0, S
EOF
start_sim --redirect-rate 1
expect 307 small
grep -qi '^location: /v1/messages' "$TMP/hdr" || fail "redirect: $(cat "$TMP/hdr")"
start_sim --error200-rate 1
expect 200 small
check "error with a 200" <<'EOF'
error("api_error")
EOF

echo "sim_anthropic: ok"
