# sim_faults.sh - the simulator's injected failures: 500/502/503 after the latency,
# connections broken half way through the body, calls never answered (held until the
# client gives up or --hang-ms, and never holding up a SIGTERM), their counters, and the
# heavy-tailed latency.
source "$(dirname "$0")/lib.sh"

# A valid request: a 40x30 PNG for gpt-4o.
py "$TMP" <<'EOF'
import base64, json, os, struct, sys, zlib
tmp = sys.argv[1]

sys.path.insert(0, os.path.join(os.environ["VB_SRC"], "tests", "integration"))
from test_images import png  # noqa: E402

url = "data:image/png;base64," + base64.b64encode(png(40, 30)).decode()
open(f"{tmp}/ok.json", "w").write(json.dumps({"model": "gpt-4o", "messages": [{
    "role": "user", "content": [{"type": "text", "text": "Describe this product"},
                                {"type": "image_url", "image_url": {"url": url}}]}],
    "max_tokens": 300}))
EOF

# call [curl options...]: POSTs ok.json; prints "<curl exit> <status> <seconds>", keeps
# the body in $TMP/resp and the headers in $TMP/hdr. Never fails by itself.
call() {
    local out rc=0
    out=$(curl -s -o "$TMP/resp" -D "$TMP/hdr" -w '%{http_code} %{time_total}' "$@" \
        --data-binary @"$TMP/ok.json" "$SIM_URL/chat/completions") || rc=$?
    echo "$rc $out"
}

# stats_until WHAT PYTHON-CONDITION: polls /sim/stats (as S) for up to 5 s until the
# condition holds.
stats_until() {
    local what=$1 cond=$2 i
    for i in $(seq 1 100); do
        curl -sf "${SIM_URL%/v1}/sim/stats" >"$TMP/stats" || fail "$what: GET /sim/stats"
        python3 -c "import json,sys; S=json.load(open(sys.argv[1])); sys.exit(0 if ($cond) else 1)" \
            "$TMP/stats" && return 0
        sleep 0.05
    done
    fail "$what: $(cat "$TMP/stats")"
}

# --- --fail-rate 1: 500, 502 and 503 in turn, each after the latency ---------------------
start_sim --fail-rate 1 --latency-ms 200
statuses=()
for i in 1 2 3; do
    read -r rc status secs < <(call)
    [ "$rc" = 0 ] || fail "fail-rate: curl exit $rc"
    py "$status" "$secs" "$TMP/hdr" "$TMP/resp" <<'EOF' || fail "fail-rate: $(cat "$TMP/hdr" "$TMP/resp")"
import json, sys
status, secs = int(sys.argv[1]), float(sys.argv[2])
hdr = open(sys.argv[3]).read().lower()
body = open(sys.argv[4]).read()
assert status in (500, 502, 503), status
assert secs >= 0.2, f"a {status} came before the latency: {secs} s"
if status == 502:
    assert "content-type: text/html" in hdr and "<title>502 Bad Gateway</title>" in body
else:
    e = json.loads(body)["error"]
    assert e["type"] == "server_error" and e["code"] is None and e["param"] is None, e
    if status == 503:
        assert e["message"] == "The engine is currently overloaded, please try again later", e
EOF
    statuses+=("$status")
done
[ "$(printf '%s\n' "${statuses[@]}" | sort -u | tr '\n' ' ')" = "500 502 503 " ] ||
    fail "fail-rate: statuses ${statuses[*]}, expected each of 500, 502, 503"
stats_until "fail-rate stats" 'S["faults"] == {"500": 1, "502": 1, "503": 1, "529": 0, "timeout": 0, "reset": 0,
    **{"html": 0, "truncate": 0, "no-usage": 0, "error200": 0, "huge-body": 0, "drip": 0, "redirect": 0}}
    and S["responses"] == {"500": 1, "502": 1, "503": 1} and S["images_billed"] == 0
    and S["prompt_tokens"] == 0 and S["in_flight"] == 0'

# A fraction: some fail, some do not; only the 200s are billed.
start_sim --fail-rate 0.5 --seed 3
n5xx=0
for i in $(seq 1 20); do
    read -r rc status secs < <(call)
    case $status in 5*) n5xx=$((n5xx + 1)) ;; 200) ;; *) fail "fail-rate 0.5: status $status" ;; esac
done
[ "$n5xx" -gt 0 ] && [ "$n5xx" -lt 20 ] || fail "fail-rate 0.5: $n5xx of 20 failed"
stats_until "fail-rate 0.5 stats" "S['images_billed'] == 20 - $n5xx and
    S['faults']['500'] + S['faults']['502'] + S['faults']['503'] == $n5xx"

# --- --reset-rate 1: headers and half the body, then the connection breaks ---------------
start_sim --reset-rate 1
read -r rc status secs < <(call)
[ "$rc" = 18 ] || [ "$rc" = 56 ] || fail "reset-rate: curl exit $rc, expected 18 or 56"
[ "$status" = 200 ] || fail "reset-rate: status line $status, expected 200"
length=$(tr -d '\r' <"$TMP/hdr" | sed -n 's/^content-length: //Ip')
got=$(wc -c <"$TMP/resp")
[ "$got" -gt 0 ] && [ "$got" -lt "${length:-0}" ] ||
    fail "reset-rate: got $got bytes of a body of ${length:-?}"
stats_until "reset stats" 'S["faults"]["reset"] == 1 and S["responses"] == {}
    and S["images_billed"] == 0 and S["in_flight"] == 0'

# --- --timeout-rate 1: no answer until the client gives up -------------------------------
start_sim --timeout-rate 1
read -r rc status secs < <(call --max-time 1)
[ "$rc" = 28 ] || fail "timeout-rate: curl exit $rc, expected 28 (timed out)"
# The sim notices the client left and lets the call go.
stats_until "timeout stats" 'S["faults"]["timeout"] == 1 and S["responses"] == {}
    and S["in_flight"] == 0 and S["last_response_ms"] == 0'

# SIGTERM does not wait for a held call.
curl -s -o /dev/null --max-time 30 --data-binary @"$TMP/ok.json" "$SIM_URL/chat/completions" &
held=$!
VB_PIDS+=("$held")
stats_until "held call" 'S["in_flight"] == 1'
start_ns=$(date +%s%N)
kill -TERM "$SIM_PID"
wait "$SIM_PID" || fail "simulator exited with $? on SIGTERM with a held call"
stop_ms=$((($(date +%s%N) - start_ns) / 1000000))
[ "$stop_ms" -lt 2000 ] || fail "SIGTERM with a held call took $stop_ms ms"
rc=0
wait "$held" || rc=$?
[ "$rc" = 52 ] || [ "$rc" = 56 ] || fail "held call: curl exit $rc, expected 52 or 56 (no reply)"

# --hang-ms caps the hold: the connection is closed without a response.
start_sim --timeout-rate 1 --hang-ms 300
read -r rc status secs < <(call --max-time 5)
[ "$rc" = 52 ] || fail "hang-ms: curl exit $rc, expected 52 (empty reply)"
py "$secs" <<'EOF' || fail "hang-ms 300: closed after $secs s"
import sys
assert 0.3 <= float(sys.argv[1]) < 4.0
EOF

# --- --latency-p99-ms: lognormal latency (median 100 ms, p99 400 ms) ---------------------
# The seeded draws are known (splitmix64, Box-Muller on pairs), so whatever order the 20
# concurrent calls arrive in, the sorted server-side times (openai-processing-ms, counted
# from each call's arrival) are at least the sorted draws, and not much more.
start_sim --latency-ms 100 --latency-p99-ms 400 --seed 11 --jitter-ms 5000
pids=()
for i in $(seq 1 20); do
    curl -s -o /dev/null -D "$TMP/lat.$i" --data-binary @"$TMP/ok.json" \
        "$SIM_URL/chat/completions" &
    pids+=($!)
done
wait "${pids[@]}"
py "$TMP" <<'EOF' || fail "lognormal latency"
import math, statistics, sys
M = (1 << 64) - 1
state = 11
def draw():
    global state
    state = (state + 0x9E3779B97F4A7C15) & M
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)
def unit(bits):
    return (bits >> 11) * 2.0 ** -53
sigma = math.log(400 / 100) / 2.3263
want = []
for _ in range(20):
    a, b = draw(), draw()
    z = math.sqrt(-2 * math.log(1 - unit(a))) * math.cos(6.283185307179586 * unit(b))
    want.append(math.floor(100 * math.exp(sigma * z) + 0.5))
want.sort()
assert want[-1] > 2 * want[0] and 40 <= statistics.median(want) <= 250, want  # a spread
got = []
for i in range(1, 21):
    for line in open(f"{sys.argv[1]}/lat.{i}"):
        if line.lower().startswith("openai-processing-ms:"):
            got.append(int(line.split(":")[1]))
got.sort()
assert len(got) == 20, got
ok = all(w <= g <= w + 2000 for w, g in zip(want, got))  # --jitter-ms 5000 is ignored
assert ok, f"server times {got}, draws {want}"
EOF

echo "sim_faults: ok"
