# sim_limits.sh - the simulator's rate limits and quota answer like OpenAI's
# (docs/provider-facts.md §4): x-ratelimit-* headers on every chat response, 429
# rate_limit_exceeded with retry-after / retry-after-ms, "Request too large" with
# x-should-retry: false, 429 insufficient_quota, and the counters in /sim/stats.
source "$(dirname "$0")/lib.sh"

# Request bodies: a 40x30 PNG (gpt-4o: 85 + 170 = 255 image tokens), 21 bytes of text
# (6 tokens) and one message (7): 268 prompt tokens; with max_tokens 300 a request weighs
# 568 tokens against --tpm.
py "$TMP" <<'EOF'
import base64, json, os, struct, sys, zlib
tmp = sys.argv[1]

sys.path.insert(0, os.path.join(os.environ["VB_SRC"], "tests", "integration"))
from test_images import chat_body  # noqa: E402

body = chat_body

open(f"{tmp}/ok.json", "w").write(body(300))
open(f"{tmp}/huge.json", "w").write(body(5000))  # 268 + 5000 = 5268 tokens
open(f"{tmp}/bad.json", "w").write('{"model": "gpt-4o", "messages": [')
EOF

# post NAME [curl options...]: POSTs $TMP/NAME.json; prints the status, keeps the body in
# $TMP/resp and the headers in $TMP/hdr.
post() {
    local name=$1
    shift
    curl -s -o "$TMP/resp" -D "$TMP/hdr" -w '%{http_code}' -H 'Content-Type: application/json' \
        "$@" --data-binary @"$TMP/$name.json" "$SIM_URL/chat/completions"
}

# check WHAT [args...] <<'EOF' ... EOF: runs a Python check with H (the last response's
# headers, lowercase names), B (its body parsed as JSON, or None), S (/sim/stats) and the
# helpers go_duration(text) -> seconds; prints the response when it fails.
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
GO = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?$|^(\d+)ms$")
def go_duration(text):
    m = GO.match(text)
    assert m and text, f"not a Go duration: {text!r}"
    if m.group(4):
        return int(m.group(4)) / 1000
    return int(m.group(1) or 0) * 3600 + int(m.group(2) or 0) * 60 + float(m.group(3) or 0)
$code
EOF
        fail "$what: $(cat "$TMP/hdr" "$TMP/resp"; echo; cat "$TMP/stats")"
}

# --- RPM 6000 (burst 100): the headers on a 200 -----------------------------------------
start_sim --rpm 6000
[ "$(post ok)" = 200 ] || fail "rpm 6000: first request: $(cat "$TMP/resp")"
check "headers on a 200" <<'EOF'
assert H["x-ratelimit-limit-requests"] == "6000", H
assert H["x-ratelimit-remaining-requests"] in ("98", "99"), H   # the burst less this one
reset = go_duration(H["x-ratelimit-reset-requests"])
assert 0 < reset <= 0.010, H                                     # one 10 ms interval
assert "x-ratelimit-limit-tokens" not in H, "tokens headers without --tpm"
assert "retry-after" not in H and "retry-after-ms" not in H, H
EOF

# --- RPM 30 with a burst of one (0.05 s of quota): back-to-back requests are refused -----
# (one request every 2 s: even a slow, loaded machine sends the next ones sooner)
start_sim --rpm 30 --burst-s 0.05
[ "$(post ok)" = 200 ] || fail "rpm 30: first request: $(cat "$TMP/resp")"
check "rpm 30: the 200" <<'EOF'
assert H["x-ratelimit-limit-requests"] == "30", H
assert H["x-ratelimit-remaining-requests"] == "0", H
assert 1.9 < go_duration(H["x-ratelimit-reset-requests"]) <= 2.0, H
EOF
for i in 1 2 3; do
    [ "$(post ok)" = 429 ] || fail "rpm 30: request $((i + 1)) was not refused: $(cat "$TMP/resp")"
done
check "rpm 30: the 429" <<'EOF'
e = B["error"]
assert set(e) == {"message", "type", "param", "code"}, e
assert e["type"] == "requests" and e["code"] == "rate_limit_exceeded" and e["param"] is None, e
assert e["message"].startswith("Rate limit reached for gpt-4o"), e
assert "(RPM): Limit 30, Used 1, Requested 1. Please try again in " in e["message"], e
ms = int(H["retry-after-ms"])
assert 0 < ms <= 2000, H
assert H["retry-after"] == str((ms + 999) // 1000), H   # whole seconds, rounded up
assert H["x-ratelimit-remaining-requests"] == "0", H
assert H["x-ratelimit-limit-requests"] == "30", H
wait = re.search(r"try again in (\S+)\.", e["message"]).group(1)
assert abs(go_duration(wait) * 1000 - ms) <= 1, (wait, ms)
assert S["rate_limited"] == 3 and S["responses"] == {"200": 1, "429": 3}, S
EOF
# Waiting out retry-after-ms is enough.
wait_s=$(python3 -c "import sys; print(int(sys.argv[1]) / 1000 + 0.02)" "$(tr -d '\r' <"$TMP/hdr" | sed -n 's/^retry-after-ms: //Ip')")
sleep "$wait_s"
[ "$(post ok)" = 200 ] || fail "rpm 30: refused after waiting retry-after-ms: $(cat "$TMP/resp")"

# A request refused with 400 still counts against RPM: the next one is limited.
start_sim --rpm 30 --burst-s 0.05
[ "$(post bad)" = 400 ] || fail "rpm 30: bad JSON: $(cat "$TMP/resp")"
check "rpm 30: the 400 carries the headers" <<'EOF'
assert B["error"]["type"] == "invalid_request_error", B
assert H["x-ratelimit-remaining-requests"] == "0", H
EOF
[ "$(post ok)" = 429 ] || fail "rpm 30: a 400 did not count against RPM: $(cat "$TMP/resp")"

# So does a 401.
start_sim --rpm 30 --burst-s 0.05 --key secret
[ "$(post ok)" = 401 ] || fail "rpm 30 + key: no key: $(cat "$TMP/resp")"
[ "$(post ok -H 'Authorization: Bearer secret')" = 429 ] ||
    fail "rpm 30 + key: a 401 did not count against RPM: $(cat "$TMP/resp")"

# --- TPM 1000 with RPM 6 (burst 3: a request refused by TPM must not use one up) ----------
start_sim --rpm 6 --burst-s 30 --tpm 1000
[ "$(post ok)" = 200 ] || fail "tpm: first request: $(cat "$TMP/resp")"
check "tpm: headers on a 200" <<'EOF'
assert H["x-ratelimit-limit-tokens"] == "1000", H
assert H["x-ratelimit-remaining-tokens"] == "0", H   # 568 tokens > the 500-token burst
assert 33 < go_duration(H["x-ratelimit-reset-tokens"]) <= 34.08, H   # 568 * 60 ms
assert H["x-ratelimit-limit-requests"] == "6", H
assert H["x-ratelimit-remaining-requests"] == "2", H
EOF
[ "$(post ok)" = 429 ] || fail "tpm: second request was not refused: $(cat "$TMP/resp")"
check "tpm: the 429" <<'EOF'
e = B["error"]
assert e["type"] == "tokens" and e["code"] == "rate_limit_exceeded", e
used = int(re.search(r"\(TPM\): Limit 1000, Used (\d+), Requested 568\.", e["message"]).group(1))
assert 500 <= used <= 568, e
ms = int(H["retry-after-ms"])
assert 30000 < ms <= 34080, H                         # less what drained since
assert H["retry-after"] == str((ms + 999) // 1000), H
# refused by TPM: nothing was taken from RPM either
assert H["x-ratelimit-remaining-requests"] == "2", H
assert "x-should-retry" not in H, H
EOF
[ "$(post huge)" = 429 ] || fail "tpm: a request larger than TPM was not refused: $(cat "$TMP/resp")"
check "tpm: request too large" <<'EOF'
e = B["error"]
assert e["code"] == "rate_limit_exceeded" and e["type"] == "tokens", e
assert e["message"].startswith("Request too large for gpt-4o"), e
assert "on tokens per min (TPM): Limit 1000, Requested 5268." in e["message"], e
assert H["x-should-retry"] == "false", H
assert "retry-after" not in H and "retry-after-ms" not in H, H
assert H["x-ratelimit-remaining-requests"] == "2", H
assert S["rate_limited"] == 2 and S["responses"] == {"200": 1, "429": 2}, S
assert S["images_billed"] == 1 and S["prompt_tokens"] == 268, S
EOF

# --- --quota-after 2 -------------------------------------------------------------------------
start_sim --quota-after 2
[ "$(post ok)" = 200 ] || fail "quota: 1st: $(cat "$TMP/resp")"
[ "$(post ok)" = 200 ] || fail "quota: 2nd: $(cat "$TMP/resp")"
[ "$(post ok)" = 429 ] || fail "quota: 3rd was not refused: $(cat "$TMP/resp")"
check "quota: the 429" <<'EOF'
assert B == {"error": {"message": "You exceeded your current quota, please check your plan "
             "and billing details.", "type": "insufficient_quota", "param": None,
             "code": "insufficient_quota"}}, B
assert "x-ratelimit-limit-requests" not in H, "rate-limit headers without a limit"
EOF
[ "$(post ok)" = 429 ] || fail "quota: 4th was not refused"
[ "$(post bad)" = 400 ] || fail "quota: an invalid request is still a 400"
check "quota: stats" <<'EOF'
assert S["quota_rejected"] == 2 and S["rate_limited"] == 0, S
assert S["responses"] == {"200": 2, "429": 2, "400": 1}, S
assert S["images_billed"] == 2, S
assert S["faults"] == {"500": 0, "502": 0, "503": 0, "529": 0, "timeout": 0, "reset": 0, "html": 0,
                      "truncate": 0, "no-usage": 0, "error200": 0, "huge-body": 0, "drip": 0,
                      "redirect": 0}, S
assert 0 < S["first_request_ms"] <= S["last_response_ms"], S
EOF

# /sim/reset clears the new counters and times (not the quota).
curl -sf -X POST "${SIM_URL%/v1}/sim/reset" >/dev/null || fail "reset"
check "reset" <<'EOF'
assert S["quota_rejected"] == 0 and S["rate_limited"] == 0 and S["requests"] == 0, S
assert S["first_request_ms"] == 0 and S["last_response_ms"] == 0, S
EOF
[ "$(post ok)" = 429 ] || fail "quota: /sim/reset gave the quota back"

echo "sim_limits: ok"
