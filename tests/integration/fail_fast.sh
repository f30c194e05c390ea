# fail_fast.sh - when nothing can succeed the run stops in seconds, names what failed and
# marks nothing unsent as failed (issue #17 points 4, 5, 6): a closed port, a name that
# does not resolve, a server that never answers, a dead proxy and a 407 proxy, the
# simulator killed mid-run (restarted, and not), a misspelt model, a base URL without
# /v1, a 100 KB response header. Loopback only: the DNS and proxy cases run inside a
# network namespace of their own (unshare -rn), where no packet can leave the machine.
source "$(dirname "$0")/lib.sh"

HOSTILE="$VB_SRC/tests/integration/hostile.py"
export OPENAI_API_KEY=sk-failfast-key-0123456789
mkdir -p "$TMP/in" "$TMP/few"
gen_images "$TMP/in" 200 --seed 17 --min-side 64 --max-side 128
gen_images "$TMP/few" 6 --seed 18 --min-side 64 --max-side 128

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }
run() { # run NAME [options...]: exit status in $status, seconds in $took
    local name=$1 t0
    shift
    status=0
    t0=$(now)
    "$VB_BIN" run -o "$TMP/$name.jsonl" "$@" 2>"$TMP/$name.err" || status=$?
    took=$(elapsed "$t0" "$(now)")
    echo "$name: exit $status in ${took} s: $(tail -n 1 "$TMP/$name.err")" >&2
}
failed_lines() { grep -c '"status":"error"' "$1" 2>/dev/null || true; }
under() { python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)" "$1" "$2"; }
# hostile MODE: starts hostile.py MODE; sets HOSTILE_PORT
hostile() {
    python3 "$HOSTILE" "$1" >"$TMP/hostile.$1" &
    VB_PIDS+=($!)
    local i
    for i in $(seq 1 100); do
        HOSTILE_PORT=$(head -n 1 "$TMP/hostile.$1" 2>/dev/null || true)
        [ -n "$HOSTILE_PORT" ] && return 0
        sleep 0.05
    done
    fail "hostile.py $1 did not start"
}

# 1. nothing listening: exit 3 in seconds, 127.0.0.1:PORT named, nothing marked failed;
#    a rerun against a live simulator sends every image
port=$(free_port)
run closed --base-url "http://127.0.0.1:$port/v1" "$TMP/in"
[ "$status" -eq 3 ] || fail "closed: exit $status"
under "$took" 5 || fail "closed: took $took s"
grep -q "cannot connect to 127.0.0.1:$port (Connection refused)" "$TMP/closed.err" ||
    fail "closed: the address is not named: $(cat "$TMP/closed.err")"
[ "$(failed_lines "$TMP/closed.jsonl")" -eq 0 ] || fail "closed: items marked failed"
run closed_np --no-preflight --base-url "http://127.0.0.1:$port/v1" "$TMP/in"
[ "$status" -eq 3 ] || fail "closed without preflight: exit $status"
under "$took" 5 || fail "closed without preflight: took $took s"
grep -q "3 requests in a row failed" "$TMP/closed_np.err" || fail "closed_np: $(cat "$TMP/closed_np.err")"
[ "$(failed_lines "$TMP/closed_np.jsonl")" -eq 0 ] || fail "closed_np: items marked failed"
start_sim
run closed_np --base-url "$SIM_URL" "$TMP/in"
[ "$status" -eq 0 ] || fail "rerun: exit $status"
[ "$(grep -c '"status":"ok"' "$TMP/closed_np.jsonl")" -eq 200 ] || fail "rerun: not all 200 ok"
kill "$SIM_PID"

# 2. a name that does not resolve (in a namespace without a network: no DNS query leaves)
status=0
unshare -rn "$VB_BIN" run --no-preflight --base-url https://api.visionbatch-test.invalid/v1 \
    -o "$TMP/dns.jsonl" "$TMP/in" 2>"$TMP/dns.err" || status=$?
[ "$status" -eq 3 ] || fail "dns: exit $status: $(cat "$TMP/dns.err")"
grep -q "cannot resolve host api.visionbatch-test.invalid" "$TMP/dns.err" ||
    fail "dns: host not named: $(cat "$TMP/dns.err")"
[ "$(failed_lines "$TMP/dns.jsonl")" -eq 0 ] || fail "dns: items marked failed"

# 3. a server that takes connections and never answers: stops after a few timeouts
hostile silent
run silent --timeout 2 --base-url "http://127.0.0.1:$HOSTILE_PORT/v1" "$TMP/in"
[ "$status" -eq 3 ] || fail "silent: exit $status"
under "$took" 8 || fail "silent: took $took s"
grep -q "no response from 127.0.0.1:$HOSTILE_PORT within 2 s" "$TMP/silent.err" || fail "silent: $(cat "$TMP/silent.err")"
grep -q "check the server" "$TMP/silent.err" || fail "silent: no hint"
[ "$(failed_lines "$TMP/silent.jsonl")" -eq 0 ] || fail "silent: items marked failed"
# the preflight finds it; without one, three requests that get nothing back stop the run
run silent_np --no-preflight --timeout 2 --base-url "http://127.0.0.1:$HOSTILE_PORT/v1" "$TMP/in"
[ "$status" -eq 3 ] || fail "silent_np: exit $status"
under "$took" 10 || fail "silent_np: took $took s"
grep -q "check the server" "$TMP/silent_np.err" || fail "silent_np: no hint"
[ "$(failed_lines "$TMP/silent_np.jsonl")" -eq 0 ] || fail "silent_np: items marked failed"

# 4. proxies, in a namespace of their own (loopback up, nothing else): a dead proxy and
#    one that answers the CONNECT with 407 are named, the run stops
cat >"$TMP/proxies.sh" <<SH
set -u
ip link set lo up
dead=\$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
HTTPS_PROXY=http://user:proxysecret@127.0.0.1:\$dead "$VB_BIN" run --base-url https://api.visionbatch-test.invalid/v1 \
    -o "$TMP/deadproxy.jsonl" "$TMP/in" 2>"$TMP/deadproxy.err"
echo "deadproxy \$? \$dead"
python3 "$HOSTILE" proxy407 >"$TMP/p407.port" &
p=\$!
for i in \$(seq 1 100); do [ -s "$TMP/p407.port" ] && break; sleep 0.05; done
port=\$(head -n 1 "$TMP/p407.port")
HTTPS_PROXY=http://127.0.0.1:\$port "$VB_BIN" run --no-preflight --base-url https://api.visionbatch-test.invalid/v1 \
    -o "$TMP/p407.jsonl" "$TMP/in" 2>"$TMP/p407.err"
echo "p407 \$? \$port"
kill \$p
SH
unshare -rn bash "$TMP/proxies.sh" >"$TMP/proxies.out" 2>&1 || true
read -r _ status dead < <(grep '^deadproxy' "$TMP/proxies.out")
[ "$status" -eq 3 ] || fail "dead proxy: exit $status: $(cat "$TMP/proxies.out" "$TMP/deadproxy.err")"
grep -q "cannot connect to proxy 127.0.0.1:$dead (from HTTPS_PROXY)" "$TMP/deadproxy.err" || fail "dead proxy not named: $(cat "$TMP/deadproxy.err")"
! grep -q proxysecret "$TMP/deadproxy.err" || fail "dead proxy: its password is shown"
[ "$(failed_lines "$TMP/deadproxy.jsonl")" -eq 0 ] || fail "dead proxy: items marked failed"
read -r _ status port < <(grep '^p407' "$TMP/proxies.out")
[ "$status" -eq 3 ] || fail "407 proxy: exit $status: $(cat "$TMP/proxies.out" "$TMP/p407.err")"
grep -q "proxy 127.0.0.1:$port (from HTTPS_PROXY) refused the CONNECT to api.visionbatch-test.invalid:443 (HTTP 407" \
    "$TMP/p407.err" || fail "407 proxy not named: $(cat "$TMP/p407.err")"

# answered_20 PORT: waits (up to 20 s) until the simulator on PORT has answered 20
# requests: the run has had its successes, whatever the machine's load
answered_20() {
    local i
    for i in $(seq 1 400); do
        [ "$(curl -sf "http://127.0.0.1:$1/sim/stats" | python3 -c \
            'import json,sys; print(json.load(sys.stdin)["responses"].get("200", 0))' \
            2>/dev/null || echo 0)" -ge 20 ] && return 0
        sleep 0.05
    done
    return 1
}

# 5. the simulator killed mid-run and back within --unreachable-timeout: the run pauses,
#    then completes, every image ok, no item's retries used up by the outage
port=$(free_port)
"$VB_SIM" --port "$port" --latency-ms 60 >"$TMP/sim5.out" 2>&1 &
sim=$!
VB_PIDS+=("$sim")
sleep 0.5
status=0
"$VB_BIN" run --base-url "http://127.0.0.1:$port/v1" -c 4 --retries 2 --retry-base 0.01 \
    --retry-max 0.05 -o "$TMP/restart.jsonl" "$TMP/in" 2>"$TMP/restart.err" &
vb=$!
VB_PIDS+=("$vb")
answered_20 "$port" || fail "restart: the run did not get going"
kill "$sim"
wait "$sim" 2>/dev/null || true
sleep 3
"$VB_SIM" --port "$port" --latency-ms 60 >"$TMP/sim5b.out" 2>&1 &
VB_PIDS+=($!)
wait "$vb" || status=$?
[ "$status" -eq 0 ] || fail "restart: exit $status: $(tail -n 3 "$TMP/restart.err")"
[ "$(grep -c '"status":"ok"' "$TMP/restart.jsonl")" -eq 200 ] || fail "restart: not all ok"
grep -q "the run is paused" "$TMP/restart.err" || fail "restart: no pause said"
grep -q "answers again" "$TMP/restart.err" || fail "restart: no resume said"

# 6. killed and not back: the run stops about --unreachable-timeout after the pause began,
#    nothing unsent marked failed
port=$(free_port)
"$VB_SIM" --port "$port" --latency-ms 60 >"$TMP/sim6.out" 2>&1 &
sim=$!
VB_PIDS+=("$sim")
sleep 0.5
status=0
"$VB_BIN" run --base-url "http://127.0.0.1:$port/v1" -c 4 --unreachable-timeout 3 \
    -o "$TMP/gone.jsonl" "$TMP/in" 2>"$TMP/gone.err" &
vb=$!
VB_PIDS+=("$vb")
answered_20 "$port" || fail "gone: the run did not get going"
kill "$sim"
t0=$(now)
wait "$vb" || status=$?
took=$(elapsed "$t0" "$(now)")
echo "gone: exit $status ${took} s after the kill: $(tail -n 1 "$TMP/gone.err")" >&2
[ "$status" -eq 3 ] || fail "gone: exit $status"
under "$took" 6 || fail "gone: stopped $took s after the kill"
grep -q "127.0.0.1:$port has not answered for" "$TMP/gone.err" || fail "gone: $(tail -n 2 "$TMP/gone.err")"
[ "$(failed_lines "$TMP/gone.jsonl")" -eq 0 ] || fail "gone: items marked failed"
ok=$(grep -c '"status":"ok"' "$TMP/gone.jsonl")
[ "$ok" -gt 0 ] && [ "$ok" -lt 200 ] || fail "gone: $ok ok"

# 7. a misspelt model: the preflight names what the server lists; without it, the first
#    404 stops the run (not 200 uploads)
start_sim --models gpt-4o-mini,gpt-4o
run model --base-url "$SIM_URL" -m gpt-4o-mnii "$TMP/in"
[ "$status" -eq 3 ] || fail "model: exit $status"
grep -q "model gpt-4o-mnii not found; the server lists: gpt-4o-mini, gpt-4o" "$TMP/model.err" || fail "model: $(cat "$TMP/model.err")"
[ "$(sim_stat requests)" -eq 0 ] || fail "model: $(sim_stat requests) requests sent"
run model_np --no-preflight --base-url "$SIM_URL" -m gpt-4o-mnii "$TMP/in"
[ "$status" -eq 3 ] || fail "model_np: exit $status"
grep -q "model_not_found" "$TMP/model_np.err" || fail "model_np: $(cat "$TMP/model_np.err")"
[ "$(sim_stat requests)" -le 20 ] || fail "model_np: $(sim_stat requests) requests sent"
[ "$(failed_lines "$TMP/model_np.jsonl")" -eq 0 ] || fail "model_np: items marked failed"

# 8. a base URL without /v1: the hint says where the API is
base=${SIM_URL%/v1}
run nov1 --base-url "$base" "$TMP/in"
[ "$status" -eq 3 ] || fail "nov1: exit $status"
grep -qF "did you mean $base/v1?" "$TMP/nov1.err" || fail "nov1: $(cat "$TMP/nov1.err")"
kill "$SIM_PID"

# 9. a 100 KB response header: said as such, not "Out of memory"
hostile bigheader
run bighdr --retries 0 --base-url "http://127.0.0.1:$HOSTILE_PORT/v1" "$TMP/few"
grep -q "response header too large from 127.0.0.1:$HOSTILE_PORT" "$TMP/bighdr.jsonl" ||
    fail "bighdr: $(head -c 600 "$TMP/bighdr.jsonl")"
! grep -q "Out of memory" "$TMP/bighdr.jsonl" "$TMP/bighdr.err" || fail "bighdr: says Out of memory"

# the key never shows
! grep -q "$OPENAI_API_KEY" "$TMP"/*.err "$TMP"/*.jsonl || fail "the key is in the output"
echo "fail_fast: ok"
