# sim_enforce.sh - the simulator's --enforce modes admit requests the way each kind of
# server does (fixed-1s: per wall-clock second; sliding-1s: any trailing second;
# window-60s: any trailing minute; bucket-60s: a minute-sized token bucket), with
# x-ratelimit-* headers describing the minute's budget and retry-after-ms the exact wait.
# Every check below would fail if the mode counted as gcra (the default, which
# sim_limits.sh covers) does. Timing-sensitive scenarios that find the machine too slow
# to keep within one second start again on a fresh simulator (at most 3 times).
source "$(dirname "$0")/lib.sh"

# Request bodies. tiny: text only (fast; RPM scenarios). ok: a 40x30 PNG (255 image
# tokens), 21 bytes of text (6) and one message (7) = 268 prompt tokens + max_tokens 300:
# it weighs 568 tokens against --tpm. huge: 268 + 5000 = 5268 tokens.
py "$TMP" <<'EOF'
import base64, json, os, sys
tmp = sys.argv[1]
sys.path.insert(0, os.path.join(os.environ["VB_SRC"], "tests", "integration"))
from test_images import chat_body  # noqa: E402

body = chat_body

open(f"{tmp}/ok.json", "w").write(body(300))
open(f"{tmp}/huge.json", "w").write(body(5000))
open(f"{tmp}/tiny.json", "w").write(json.dumps(
    {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}))
EOF

# The scenarios, in Python: `python3 enforce.py NAME BASE_URL` exits 0 when NAME passes,
# 3 when the machine was too slow for its timing (run it again), else it fails.
cat >"$TMP/enforce.py" <<'EOF'
import http.client, json, math, re, sys, threading, time, urllib.parse

TMP = __file__.rsplit("/", 1)[0]
BODIES = {n: open(f"{TMP}/{n}.json", "rb").read() for n in ("ok", "huge", "tiny")}
URL = urllib.parse.urlsplit(sys.argv[2])


class TooSlow(Exception):
    pass


class Resp:
    def __init__(self, status, headers, body, t0, t1):
        self.status, self.h, self.t0, self.t1 = status, headers, t0, t1
        self.body = json.loads(body) if body.startswith(b"{") else None

    def __repr__(self):
        return f"{self.status} {self.h} {self.body}"

    def num(self, name):
        return int(self.h[name])

    def dur(self, name):  # a Go duration header, in seconds
        m = re.match(r"^(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?$|^(\d+)ms$", self.h[name])
        assert m and self.h[name], self
        if m.group(3):
            return int(m.group(3)) / 1000
        return int(m.group(1) or 0) * 60 + float(m.group(2) or 0)

    def retry_ms(self):
        ms = self.num("retry-after-ms")
        assert self.h["retry-after"] == str((ms + 999) // 1000), self  # rounded up
        return ms


class Client:
    """One keep-alive connection; t0/t1 of a response bracket the server's clock reading."""
    def __init__(self):
        self.conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=30)
        self.conn.connect()

    def post(self, name="tiny"):
        t0 = time.time()
        self.conn.request("POST", URL.path + "/chat/completions", BODIES[name],
                          {"Content-Type": "application/json"})
        r = self.conn.getresponse()
        body = r.read()
        t1 = time.time()
        return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, body, t0, t1)

    def posts(self, n, name="tiny"):
        return [self.post(name) for _ in range(n)]


def stats():
    c = http.client.HTTPConnection(URL.hostname, URL.port, timeout=30)
    c.request("GET", "/sim/stats")
    return json.loads(c.getresponse().read())


def sleep_until(t):
    time.sleep(max(0.0, t - time.time()))


def wall_frac(f):
    """Sleeps until the wall clock is f into a second (the next time it is); returns the
    start of that second."""
    now = time.time()
    sec = math.floor(now)
    if sec + f < now + 0.01:
        sec += 1
    sleep_until(sec + f)
    return sec


def statuses(rs):
    return [r.status for r in rs]


def rate_limited(r, kind, limit, used, requested):
    e = r.body["error"]
    assert r.status == 429 and e["code"] == "rate_limit_exceeded" and e["type"] == kind, r
    what = "RPM" if kind == "requests" else "TPM"
    assert f"({what}): Limit {limit}, Used {used}, Requested {requested}." in e["message"], r


def fixed_rpm():
    """--rpm 600 --enforce fixed-1s: 10 per wall-clock second, the count starting again at
    each boundary (GCRA, 10 of burst refilling one per 100 ms, lets neither happen)."""
    c = Client()
    sec = wall_frac(0.3)
    rs = c.posts(11)
    if rs[-1].t1 >= sec + 1:
        raise TooSlow
    assert statuses(rs) == [200] * 10 + [429], rs
    b = sec + 1  # the next boundary
    r10, r11 = rs[9], rs[10]
    assert r10.h["x-ratelimit-limit-requests"] == "600", r10
    assert r10.num("x-ratelimit-remaining-requests") == 590, r10  # 600 less the minute's 10
    assert b - r10.t1 - 0.002 <= r10.dur("x-ratelimit-reset-requests") <= b - r10.t0 + 0.002, r10
    ms = r11.retry_ms()  # until the boundary (GCRA: about 100 ms)
    assert (b - r11.t1) * 1000 - 2 <= ms <= (b - r11.t0) * 1000 + 2, (ms, b - r11.t0, r11)
    assert r11.num("x-ratelimit-remaining-requests") == 590, r11
    rate_limited(r11, "requests", 600, 10, 1)

    # Just after the boundary, 20 at once from 20 connections: exactly a whole second's
    # share goes (GCRA would have refilled 7), each 429 waits for the next boundary.
    clients = [Client() for _ in range(20)]
    out = [None] * 20
    gate = threading.Barrier(20)

    def one(i):
        gate.wait()
        out[i] = clients[i].post()

    sleep_until(b + 0.02)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if max(r.t1 for r in out) >= b + 1:
        raise TooSlow
    ok = [r for r in out if r.status == 200]
    refused = [r for r in out if r.status == 429]
    assert len(ok) == 10 and len(refused) == 10, out
    # admitted one by one under the lock: 589, 588, ... 580 left of the minute
    assert sorted(r.num("x-ratelimit-remaining-requests") for r in ok) == list(range(580, 590)), ok
    for r in refused:
        ms = r.retry_ms()
        assert (b + 1 - r.t1) * 1000 - 2 <= ms <= (b + 1 - r.t0) * 1000 + 2, (ms, r)
    s = stats()
    assert s["rate_limited"] == 11 and s["responses"] == {"200": 20, "429": 11}, s


def sliding_rpm():
    """--rpm 600 --enforce sliding-1s: at most 10 in any trailing second. 5 requests, 5
    more 0.3 s later, then nothing until the first 5 are a second old: not at once (GCRA
    would let the 11th go), not at the wall-clock boundary (fixed-1s would)."""
    c = Client()
    sec = wall_frac(0.4)
    first = c.posts(5)
    sleep_until(first[0].t0 + 0.3)
    rs = first + c.posts(6)
    assert statuses(rs) == [200] * 10 + [429], rs
    t_first = rs[0].t0
    r10, r11 = rs[9], rs[10]
    assert r10.num("x-ratelimit-remaining-requests") == 590, r10
    # until the newest leaves the log: a second (GCRA: 0.7 s, the debt)
    assert 1 - (r10.t1 - r10.t0) - 0.002 <= r10.dur("x-ratelimit-reset-requests") <= 1.001, r10
    ms = r11.retry_ms()  # until the first leaves the log
    assert (t_first + 1 - r11.t1) * 1000 - 2 <= ms <= (rs[0].t1 + 1 - r11.t0) * 1000 + 2, (ms, r11)
    rate_limited(r11, "requests", 600, 10, 1)

    sleep_until(sec + 1.05)  # past the wall-clock boundary, still within the first's second
    probe = c.post()
    if probe.t1 >= t_first + 0.95 or r11.t1 >= sec + 1:
        raise TooSlow
    assert probe.status == 429, probe
    ms = probe.retry_ms()
    assert (t_first + 1 - probe.t1) * 1000 - 2 <= ms <= (rs[0].t1 + 1 - probe.t0) * 1000 + 2, probe
    sleep_until(probe.t1 + ms / 1000 + 0.01)
    later = c.post()
    assert later.status == 200 and later.t0 >= t_first + 0.99, later
    assert later.num("x-ratelimit-remaining-requests") == 589, later


def window_rpm():
    """--rpm 60 --enforce window-60s: a whole minute's 60 at once, then nothing until the
    first is 60 s old (GCRA with its burst of 1 would refuse the second)."""
    c = Client()
    rs = c.posts(61)
    assert statuses(rs) == [200] * 60 + [429], rs
    for i, r in enumerate(rs[:60]):
        assert r.num("x-ratelimit-remaining-requests") == 59 - i, (i, r)
    r60, r61 = rs[59], rs[60]
    assert 60 - (r60.t1 - r60.t0) - 0.002 <= r60.dur("x-ratelimit-reset-requests") <= 60.001, r60
    ms = r61.retry_ms()
    assert (rs[0].t0 + 60 - r61.t1) * 1000 - 2 <= ms <= (rs[0].t1 + 60 - r61.t0) * 1000 + 2, r61
    assert r61.h["retry-after"] == "60" or ms < 59000, r61
    rate_limited(r61, "requests", 60, 60, 1)
    time.sleep(1.1)  # a token bucket would have one for us by now
    r = c.post()
    assert r.status == 429 and r.retry_ms() <= 60000 - 1000, r


def bucket_rpm():
    """--rpm 60 --enforce bucket-60s: 60 at once from the full bucket, then one a second
    (a 60 s window would wait a minute; GCRA with its burst of 1 refuses the second)."""
    c = Client()
    rs = c.posts(61)
    if rs[-1].t1 - rs[0].t0 > 0.8:  # more than most of a token refilled meanwhile
        raise TooSlow
    assert statuses(rs) == [200] * 60 + [429], rs
    for i, r in enumerate(rs[:60]):
        assert r.num("x-ratelimit-remaining-requests") == 59 - i, (i, r)
    r60, r61 = rs[59], rs[60]
    # until the bucket is full: 60 s less what flowed in since the first
    reset = r60.dur("x-ratelimit-reset-requests")
    assert 60 - (r60.t1 - rs[0].t0) - 0.002 <= reset <= 60.001, r60
    ms = r61.retry_ms()  # until one token has flowed in
    assert (1 - (r61.t1 - rs[0].t0)) * 1000 - 2 <= ms <= 1000, r61
    rate_limited(r61, "requests", 60, 60, 1)
    sleep_until(r61.t1 + ms / 1000 + 0.01)
    r = c.post()
    assert r.status == 200, r
    assert r.h["x-ratelimit-remaining-requests"] == "0", r  # 61 in the minute: never negative
    r = c.post()
    assert r.status == 429 and 900 <= r.retry_ms() <= 1000, r  # the next token, a second on
    sleep_until(r.t1 + r.retry_ms() / 1000 + 0.01)
    assert c.post().status == 200


def fixed_tpm():
    """--rpm 600 --tpm 60000 --enforce fixed-1s: 1000 tokens per wall-clock second."""
    c = Client()
    # Heavier than a second's share: it can never go (GCRA lets a request heavier than
    # its burst go when idle). It takes nothing from RPM either.
    r = c.post("huge")
    assert r.status == 429, r
    assert r.body["error"]["message"].startswith("Request too large for gpt-4o"), r
    assert r.h["x-should-retry"] == "false" and "retry-after-ms" not in r.h, r
    assert r.num("x-ratelimit-remaining-requests") == 600, r
    assert r.h["x-ratelimit-reset-requests"] == "0s", r  # nothing used this second
    assert r.num("x-ratelimit-remaining-tokens") == 60000, r
    sec = wall_frac(0.3)
    a, b = c.post("ok"), c.post("ok")
    if b.t1 >= sec + 1:
        raise TooSlow
    assert a.status == 200 and a.num("x-ratelimit-remaining-tokens") == 60000 - 568, a
    bound = sec + 1
    assert bound - a.t1 - 0.002 <= a.dur("x-ratelimit-reset-tokens") <= bound - a.t0 + 0.002, a
    # 568 + 568 > 1000: wait for the boundary (GCRA: 136 ms of debt)
    rate_limited(b, "tokens", 60000, 568, 568)
    ms = b.retry_ms()
    assert (bound - b.t1) * 1000 - 2 <= ms <= (bound - b.t0) * 1000 + 2, (ms, b)
    assert b.num("x-ratelimit-remaining-requests") == 599, b  # refused: RPM given back
    sleep_until(b.t1 + ms / 1000 + 0.01)
    assert c.post("ok").status == 200


def bucket_tpm():
    """--rpm 600 --tpm 1200 --enforce bucket-60s: a bucket of 1200 tokens refilled at 20
    a second: two 568-token requests at once (GCRA's burst of 20 refuses the second)."""
    c = Client()
    rs = [c.post("ok") for _ in range(3)]
    assert statuses(rs) == [200, 200, 429], rs
    r2, r3 = rs[1], rs[2]
    assert r2.num("x-ratelimit-remaining-tokens") == 1200 - 1136, r2
    full = 1136 / 20  # until the bucket is full again: 56.8 s
    assert full - (r2.t1 - rs[0].t0) - 0.002 <= r2.dur("x-ratelimit-reset-tokens") <= full + 0.001, r2
    # 64 tokens left and 504 more needed: 25.2 s less what flowed in since
    ms = r3.retry_ms()
    assert (25.2 - (r3.t1 - rs[0].t0)) * 1000 - 2 <= ms <= 25201, r3
    rate_limited(r3, "tokens", 1200, 1136, 568)
    assert r3.num("x-ratelimit-remaining-requests") == 598, r3


def window_tpm():
    """--tpm 1200 --enforce window-60s: two 568-token requests in a minute, the third waits
    for the first to be 60 s old (a bucket would take 25 s; GCRA refuses the second)."""
    c = Client()
    rs = [c.post("ok") for _ in range(3)]
    assert statuses(rs) == [200, 200, 429], rs
    assert rs[1].num("x-ratelimit-remaining-tokens") == 64, rs[1]
    assert 59.9 < rs[1].dur("x-ratelimit-reset-tokens") <= 60.001, rs[1]
    ms = rs[2].retry_ms()
    assert (rs[0].t0 + 60 - rs[2].t1) * 1000 - 2 <= ms <= (rs[0].t1 + 60 - rs[2].t0) * 1000 + 2, rs[2]
    rate_limited(rs[2], "tokens", 1200, 1136, 568)


try:
    globals()[sys.argv[1]]()
except TooSlow:
    sys.exit(3)
EOF

# scenario NAME SIM_OPTIONS...: runs scenario NAME against a fresh simulator started with
# the options, again (at most 3 times) while it reports the machine too slow.
scenario() {
    local name=$1 try rc
    shift
    for try in 1 2 3; do
        start_sim "$@"
        rc=0
        python3 "$TMP/enforce.py" "$name" "$SIM_URL" || rc=$?
        kill "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
        [ "$rc" = 0 ] && return 0
        [ "$rc" = 3 ] || fail "$name ($*)"
        echo "$name: too slow to keep within the second, try $try" >&2
    done
    fail "$name: the machine was too slow three times"
}

# --- option checks -----------------------------------------------------------------------
rc=0
"$VB_SIM" --enforce fixed-1m --rpm 60 2>"$TMP/err" || rc=$?
[ "$rc" = 2 ] && grep -q "'fixed-1m' is not gcra, fixed-1s" "$TMP/err" || fail "bad --enforce: $rc"
rc=0
"$VB_SIM" --enforce sliding-1s --rpm 59 2>"$TMP/err" || rc=$?
[ "$rc" = 2 ] && grep -q "rpm must be 0 or at least 60" "$TMP/err" ||
    fail "--enforce sliding-1s --rpm 59 (no request could ever go): $rc"
"$VB_SIM" --help >"$TMP/help" # (not piped into grep -q: pipefail would see its SIGPIPE)
grep -q -- "--enforce MODE" "$TMP/help" || fail "--help does not describe --enforce"

# --- the modes -----------------------------------------------------------------------------
scenario fixed_rpm --rpm 600 --enforce fixed-1s
scenario sliding_rpm --rpm 600 --enforce sliding-1s
scenario window_rpm --rpm 60 --enforce window-60s
scenario bucket_rpm --rpm 60 --enforce bucket-60s
scenario fixed_tpm --rpm 600 --tpm 60000 --enforce fixed-1s
scenario bucket_tpm --rpm 600 --tpm 1200 --enforce bucket-60s
scenario window_tpm --tpm 1200 --enforce window-60s

# --- --no-retry-after-ms: a 429 says retry-after in whole seconds only -------------------
for flag in "" --no-retry-after-ms; do
    start_sim --rpm 60 --enforce window-60s $flag
    for i in $(seq 1 61); do
        code=$(curl -s -o /dev/null -D "$TMP/h" -w '%{http_code}' -H 'Content-Type: application/json' \
            -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' \
            "$SIM_URL/chat/completions")
    done
    kill "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
    [ "$code" = 429 ] || fail "61st request at --rpm 60 window-60s: $code"
    # the first request leaves the window 60 s after it came: 60 rounded up, less the
    # whole seconds the 61 curls took on a loaded machine
    grep -qiE '^retry-after: (5[5-9]|60)\s*$' "$TMP/h" ||
        fail "retry-after ($flag): $(tr -d '\r' <"$TMP/h")"
    if [ -n "$flag" ]; then
        ! grep -qi '^retry-after-ms:' "$TMP/h" || fail "retry-after-ms sent with $flag"
    else
        grep -qi '^retry-after-ms:' "$TMP/h" || fail "no retry-after-ms without the flag"
    fi
done

echo "sim_enforce: ok"
