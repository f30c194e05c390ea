# sim_gemini.sh - the simulator speaks Gemini generateContent on POST
# /v1beta/models/{model}:generateContent: its key header (and the counted ?key=), strict
# protobuf-JSON checks, candidates answers with usageMetadata and thoughts, google.rpc
# error bodies, 429 details instead of headers, quota and faults (docs/batch-api-facts.md
# §3). Gemini's image-token formula is not checked here (tests/unit/cost/test_tokens.c
# does): the usage must only agree with what the simulator says it billed.
source "$(dirname "$0")/lib.sh"

# An 8x8 black baseline JPEG (the one sim_validation.sh uses), for the mislabel check.
JPEG_B64='/9j/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/wAALCAAIAAgBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/APP6/9k='

py "$TMP" "$JPEG_B64" <<'EOF'
import base64, hashlib, json, os, struct, sys
tmp, jpeg_b64 = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(os.environ["VB_SRC"], "tests", "integration"))
from test_images import png  # noqa: E402

img = png(600, 1100)
open(f"{tmp}/img.sha256", "w").write(hashlib.sha256(img).hexdigest())
small = png(40, 30)

def box(kind, payload, full=False):
    data = (b"\0\0\0\0" if full else b"") + payload
    return struct.pack(">I", 8 + len(data)) + kind + data

# The boxes of a HEIF file the simulator reads: ftyp, meta/iprp/ipco/ispe (640x480).
heic = (box(b"ftyp", b"heic\0\0\0\0mif1heic")
        + box(b"meta", box(b"iprp", box(b"ipco", box(b"ispe", struct.pack(">II", 640, 480),
                                                     full=True))), full=True))

def b64(data):
    return base64.b64encode(data).decode()

def image(data, mime="image/png", snake=True):
    if snake:
        return {"inline_data": {"mime_type": mime, "data": b64(data)}}
    return {"inlineData": {"mimeType": mime, "data": b64(data)}}

def body(parts, gen=None, extra=None, text="Describe this product"):
    b = {"contents": [{"role": "user", "parts": [{"text": text}] + parts}],
         "generationConfig": {"maxOutputTokens": 300}}
    b["generationConfig"].update(gen or {})
    b.update(extra or {})
    return json.dumps(b, separators=(",", ":"))

def write(name, text):
    open(f"{tmp}/{name}.json", "w").write(text)

# "Describe this product" (21 bytes: 6 tokens) and "be brief" (8 bytes: 2 tokens)
write("valid", body([image(img)], extra={"systemInstruction": {"parts": [{"text": "be brief"}]}}))
write("camel", body([image(small, snake=False)]))
write("no_thinking", body([image(small)], gen={"thinkingConfig": {"thinkingBudget": 0}}))
write("mislabelled", body([image(base64.b64decode(jpeg_b64))]))
write("gif", body([image(small, "image/gif")]))
write("unknown_field", body([image(small)], extra={"frobnicate": True}))
write("unknown_config", body([image(small)], gen={"max_tokens": 10}))
write("unknown_part", body([{"text": "x", "image_url": {"url": "https://x/a.png"}}]))
write("no_contents", json.dumps({"generationConfig": {"maxOutputTokens": 10}}))
write("bad_resolution", body([image(small)], gen={"mediaResolution": "VERY_HIGH"}))
write("low", body([image(img)], gen={"mediaResolution": "MEDIA_RESOLUTION_LOW"}))
write("high", body([image(img)], gen={"media_resolution": "MEDIA_RESOLUTION_HIGH"}))
write("json", body([image(small)], gen={"responseMimeType": "application/json",
    "responseSchema": {"type": "OBJECT", "properties": {"color": {"type": "STRING"},
                       "count": {"type": "INTEGER"}}, "required": ["color", "count"]}}))
write("schema_no_mime", body([image(small)], gen={"responseSchema": {"type": "OBJECT"}}))
write("short", body([image(small)], gen={"maxOutputTokens": 5}))
write("heic", body([image(heic, "image/heic")]))
write("heic_as_png", body([image(heic, "image/png")]))
write("small", body([image(small)]))
EOF

# post NAME [MODEL [curl options...]]: POSTs $TMP/NAME.json to MODEL's generateContent
# (gemini-2.5-flash) with x-goog-api-key: secret unless NOKEY=1, under $API (v1beta);
# prints the status, keeps the body in $TMP/resp and the headers in $TMP/hdr.
post() {
    local name=$1 model=${2:-gemini-2.5-flash}
    shift 2 || shift $#
    local h=(-H 'content-type: application/json')
    [ "${NOKEY:-}" = 1 ] || h+=(-H 'x-goog-api-key: secret')
    curl -s -o "$TMP/resp" -D "$TMP/hdr" -w '%{http_code}' "${h[@]}" "$@" \
        --data-binary @"$TMP/$name.json" \
        "${SIM_URL%/v1}/${API:-v1beta}/models/$model:generateContent${QUERY:-}"
}

# expect STATUS NAME [MODEL [curl options...]]: the status of posting NAME.
expect() {
    local want=$1
    shift
    local got
    got=$(post "$@")
    [ "$got" = "$want" ] || fail "$1: status $got, expected $want: $(cat "$TMP/resp")"
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
STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
          429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
def error(code, contains=""):
    assert set(B) == {"error"}, B
    e = B["error"]
    assert set(e) - {"details"} == {"code", "message", "status"}, e
    assert e["code"] == code and e["status"] == STATUS[code], e
    assert contains in e["message"], e
    return e
def detail(e, kind):
    found = [d for d in e.get("details", []) if d["@type"] == "type.googleapis.com/google.rpc." + kind]
    return found[0] if found else None
def no_limit_headers():
    assert not any(k.startswith(("x-ratelimit", "anthropic-ratelimit", "retry-after"))
                   for k in H), H
$code
EOF
        fail "$what: $(cat "$TMP/hdr" "$TMP/resp"; echo; cat "$TMP/stats")"
}

start_sim --key secret --rpm 100000 --tpm 100000000 --record-requests "$TMP/recorded.jsonl"

# --- A valid request (snake_case parts, a systemInstruction) on a thinking model ---------------
expect 200 valid
check "valid answer" "$(cat "$TMP/img.sha256")" <<'EOF'
no_limit_headers()  # though --rpm and --tpm are set: Gemini sends none
assert set(B) == {"candidates", "usageMetadata", "modelVersion", "responseId"}, B
c = B["candidates"]
assert len(c) == 1 and c[0]["index"] == 0 and c[0]["finishReason"] == "STOP", c
assert c[0]["content"]["role"] == "model" and len(c[0]["content"]["parts"]) == 1, c
text = c[0]["content"]["parts"][0]["text"]
assert f"sha256:{ARGS[0]}" in text and "(png 600x1100)" in text, text
assert B["modelVersion"] == "gemini-2.5-flash" and re.fullmatch(r"sim_\d+", B["responseId"]), B
u = B["usageMetadata"]
details = {d["modality"]: d["tokenCount"] for d in u["promptTokensDetails"]}
# text: 6 + 2 tokens, + 7 for the content and 7 for the systemInstruction
assert details == {"TEXT": 6 + 2 + 14, "IMAGE": S["image_tokens"]} and S["image_tokens"] > 0, (u, S)
assert u["promptTokenCount"] == details["TEXT"] + details["IMAGE"] == S["prompt_tokens"], (u, S)
assert u["thoughtsTokenCount"] == 24 + 8 * 1, u  # gemini-2.5-* thinks: 24 + 8 per image
assert u["totalTokenCount"] == u["promptTokenCount"] + u["candidatesTokenCount"] + 32, u
# thinking is billed as output
assert S["completion_tokens"] == u["candidatesTokenCount"] + 32, (u, S)
assert S["requests_by_protocol"] == {"openai": 0, "anthropic": 0, "gemini": 1}, S
assert S["key_in_url"] == 0, S
EOF

# camelCase parts on a model that does not think: no thoughtsTokenCount; a thinkingBudget
# of 0 turns thinking off.
expect 200 camel gemini-2.0-flash
check "camelCase, no thoughts" <<'EOF'
u = B["usageMetadata"]
assert "thoughtsTokenCount" not in u, u
assert u["totalTokenCount"] == u["promptTokenCount"] + u["candidatesTokenCount"], u
EOF
expect 200 no_thinking
check "thinkingBudget 0" <<'EOF'
assert "thoughtsTokenCount" not in B["usageMetadata"], B
EOF

# maxOutputTokens cuts the answer; a JSON answer follows the schema (upper-case types).
expect 200 short gemini-2.0-flash
check "MAX_TOKENS" <<'EOF'
c = B["candidates"][0]
assert c["finishReason"] == "MAX_TOKENS" and B["usageMetadata"]["candidatesTokenCount"] == 5, B
EOF
expect 200 json
check "JSON answer" <<'EOF'
v = json.loads(B["candidates"][0]["content"]["parts"][0]["text"])
assert set(v) >= {"color", "count"} and isinstance(v["count"], int), v
assert "sha256:" in json.dumps(v), v
EOF

# HEIC is taken (measured from its boxes); Gemini 3's mediaResolution sets the detail.
expect 200 heic
check "HEIC" <<'EOF'
assert "(heif 640x480)" in B["candidates"][0]["content"]["parts"][0]["text"], B
EOF
for res in low high; do
    before=$(sim_stat image_tokens)
    expect 200 "$res" gemini-3-pro-preview
    check "mediaResolution $res" "$before" <<'EOF'
u = B["usageMetadata"]
image = [d["tokenCount"] for d in u["promptTokensDetails"] if d["modality"] == "IMAGE"]
assert image == [S["image_tokens"] - int(ARGS[0])] and image[0] > 0, (u, S)
assert u["thoughtsTokenCount"] == 32, u  # gemini-3* thinks too
EOF
done

# The v1 path works too.
API=v1 expect 200 small

# --- Keys ------------------------------------------------------------------------------------
NOKEY=1 expect 403 small
check "no key" <<'EOF'
error(403, "Method doesn't allow unregistered callers (callers without established identity). "
      "Please use API Key or other form of API consumer identity to call this API.")
EOF
NOKEY=1 expect 400 small gemini-2.5-flash -H 'x-goog-api-key: wrong'
check "wrong key" <<'EOF'
e = error(400, "API key not valid. Please pass a valid API key.")
info = detail(e, "ErrorInfo")
assert info and info["reason"] == "API_KEY_INVALID" and info["domain"] == "googleapis.com", e
EOF
NOKEY=1 expect 403 small gemini-2.5-flash -H 'Authorization: Bearer secret' # not Gemini's header
# A key in the URL is accepted, and counted: a client must never put it there.
NOKEY=1 QUERY='?key=secret' expect 200 small
check "key in the URL" <<'EOF'
assert S["key_in_url"] == 1, S
EOF

# --- What a strict API refuses ---------------------------------------------------------------
expect 400 mislabelled
check "mimeType mismatch" <<'EOF'
error(400, "the data is image/jpeg, not the mimeType image/png")
EOF
expect 400 heic_as_png
check "HEIC declared PNG" <<'EOF'
error(400, "the data is image/heif, not the mimeType image/png")
EOF
expect 400 gif
check "GIF" <<'EOF'
error(400, "Unsupported MIME type: image/gif")
EOF
expect 400 unknown_field
check "unknown field" <<'EOF'
error(400, 'Invalid JSON payload received. Unknown name "frobnicate": Cannot find field.')
EOF
expect 400 unknown_config
check "unknown generationConfig field" <<'EOF'
error(400, "Unknown name \"max_tokens\" at 'generation_config': Cannot find field.")
EOF
expect 400 unknown_part
expect 400 no_contents
expect 400 bad_resolution
expect 400 schema_no_mime
expect 404 small gpt-4o
check "not a Gemini model" <<'EOF'
error(404, "models/gpt-4o is not found for API version v1beta")
EOF
got=$(curl -s -o /dev/null -w '%{http_code}' -H 'x-goog-api-key: secret' --data-binary @"$TMP/small.json" \
    "${SIM_URL%/v1}/v1beta/models/gemini-2.5-flash:streamGenerateContent")
[ "$got" = 404 ] || fail "streamGenerateContent is not served: $got"

check "stats" <<'EOF'
assert S["requests_by_protocol"] == {"openai": 0, "anthropic": 0, "gemini": 23}, S
assert S["responses"] == {"200": 10, "400": 10, "403": 2, "404": 1}, S
assert S["invalid_images"] == 3, S  # mislabelled, heic_as_png, gif
assert S["rate_limited"] == 0, S
EOF
[ "$(wc -l <"$TMP/recorded.jsonl")" = 23 ] || fail "recorded $(wc -l <"$TMP/recorded.jsonl") lines"

# A body over --max-body-bytes: Gemini says so with a 400.
start_sim --max-body-bytes 1000
expect 400 valid
check "too large" <<'EOF'
error(400, "1000 bytes")
EOF

# --- Rate limits: no headers; a 429 says it in QuotaFailure and RetryInfo --------------------
# one request a second with a burst of one: the second request at once is refused
start_sim --rpm 60 --burst-s 0.01
expect 200 small
check "a 200 under --rpm" <<'EOF'
no_limit_headers()
EOF
expect 429 small
check "429 over RPM" <<'EOF'
no_limit_headers()
e = error(429, "You exceeded your current quota")
assert re.search(r"Please retry in \d+\.\d{3}s\.$", e["message"]), e
q = detail(e, "QuotaFailure")
assert q and len(q["violations"]) == 1, e
v = q["violations"][0]
assert v["quotaId"] == "GenerateRequestsPerMinutePerProjectPerModel", v
assert v["quotaValue"] == "60" and v["quotaDimensions"]["model"] == "gemini-2.5-flash", v
r = detail(e, "RetryInfo")
assert r and re.fullmatch(r"[12]s", r["retryDelay"]), e
assert S["rate_limited"] == 1, S
EOF
# a request heavier than all of --tpm can never go: a 400, so no client retries it
start_sim --tpm 100
expect 400 small
check "larger than TPM" <<'EOF'
error(400, "exceeds the maximum number of tokens allowed per minute (100)")
no_limit_headers()
EOF

# --- Quota: a per-day quota, with no RetryInfo ------------------------------------------------
start_sim --quota-after 1
expect 200 small
expect 429 small
check "quota" <<'EOF'
e = error(429, "You exceeded your current quota")
assert "Please retry" not in e["message"], e
v = detail(e, "QuotaFailure")["violations"][0]
assert v["quotaId"] == "GenerateRequestsPerDayPerProjectPerModel" and v["quotaValue"] == "1", v
assert detail(e, "RetryInfo") is None, e
assert S["quota_rejected"] == 1, S
EOF

# --- Injected faults: 500 INTERNAL and 503 UNAVAILABLE in turn --------------------------------
start_sim --fail-rate 1
expect 500 small
check "500" <<'EOF'
error(500)
EOF
expect 503 small
check "503" <<'EOF'
error(503, "The model is overloaded. Please try again later.")
assert S["faults"]["500"] == 1 and S["faults"]["503"] == 1 and S["image_tokens"] == 0, S
EOF
start_sim --no-usage-rate 1
expect 200 small
check "no usageMetadata" <<'EOF'
assert "usageMetadata" not in B and B["candidates"], B
assert S["image_tokens"] > 0, S  # billed as usual
EOF

echo "sim_gemini: ok"
