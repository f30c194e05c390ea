# ux_ctrl_c.sh - Ctrl-C is acknowledged at once ("stopping: waiting up to 30 s for N
# requests in flight"), and the progress line's last word says how the run ended:
# (cancelled), (stopped) after a fatal error, (budget), and (done) only for a run that
# finished; a run that did not finish shows no ETA.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/in"
gen_images "$TMP/in" 12 --seed 13 --min-side 64 --max-side 128
export OPENAI_API_KEY=sk-vbtest-ctrlc

# last_progress FILE: the last progress line of a --progress log run's stderr
last_progress() { grep '^progress: ' "$1" | tail -n 1; }

# --- Ctrl-C against slow answers: 4 requests in flight for 3 s
start_sim --latency-ms 3000
"$VB_BIN" run --base-url "$SIM_URL" -c 4 --grace 30 --progress log --progress-interval 0.2 \
    -o "$TMP/c.jsonl" "$TMP/in" 2>"$TMP/c.err" &
VB=$!
VB_PIDS+=("$VB")
for _ in $(seq 1 100); do # until the requests are out
    grep -q "in flight 4" "$TMP/c.err" 2>/dev/null && break
    sleep 0.05
done
grep -q "in flight 4" "$TMP/c.err" || { cat "$TMP/c.err"; fail "never 4 in flight"; }
kill -INT "$VB"
sent=$(date +%s%N)
told=""
while [ $(( ($(date +%s%N) - sent) / 1000000 )) -lt 1000 ]; do
    if grep -q "^visionbatch: stopping" "$TMP/c.err"; then told=yes; break; fi
    sleep 0.02
done
[ -n "$told" ] || { cat "$TMP/c.err"; fail "no 'stopping' line within 1 s of SIGINT"; }
grep -qx "visionbatch: stopping: waiting up to 30 s for 4 requests in flight (Ctrl-C again to quit now)" \
    "$TMP/c.err" || { cat "$TMP/c.err"; fail "the stopping line"; }
status=0
wait "$VB" || status=$?
[ "$status" -eq 130 ] || { cat "$TMP/c.err"; fail "Ctrl-C: exit $status, expected 130"; }
line=$(last_progress "$TMP/c.err")
case "$line" in *"(cancelled)") ;; *) cat "$TMP/c.err"; fail "last line: $line" ;; esac
case "$line" in *ETA*) fail "a cancelled run shows an ETA: $line" ;; esac
[ "$(grep -c "^visionbatch: stopping" "$TMP/c.err")" -eq 1 ] || fail "told more than once"

# --- the same in JSON: the final object says how it ended, without an ETA
"$VB_BIN" run --base-url "$SIM_URL" -c 4 --progress json --progress-interval 0.2 \
    -o "$TMP/j.jsonl" --journal "$TMP/j.journal" "$TMP/in" 2>"$TMP/j.err" &
VB=$!
VB_PIDS+=("$VB")
for _ in $(seq 1 100); do
    grep -q '"in_flight":4' "$TMP/j.err" 2>/dev/null && break
    sleep 0.05
done
kill -INT "$VB"
wait "$VB" || true
grep '"final":true' "$TMP/j.err" >"$TMP/j.final" || { cat "$TMP/j.err"; fail "no final JSON"; }
py "$TMP/j.final" <<'PY'
import json, sys
o = json.loads(open(sys.argv[1]).read())
assert o["end"] == "cancelled" and o["eta_s"] is None, o
PY
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true

# --- a fatal stop (the key rejected): (stopped), no ETA
start_sim --key sk-vbtest-right
status=0
"$VB_BIN" run --base-url "$SIM_URL" --progress log -o "$TMP/s.jsonl" "$TMP/in" 2>"$TMP/s.err" ||
    status=$?
[ "$status" -eq 3 ] || { cat "$TMP/s.err"; fail "wrong key: exit $status, expected 3"; }
line=$(last_progress "$TMP/s.err")
case "$line" in *"(stopped)") ;; *) cat "$TMP/s.err"; fail "fatal stop, last line: $line" ;; esac
case "$line" in *ETA*) fail "a stopped run shows an ETA: $line" ;; esac

# --- the budget used up: (budget)
status=0
OPENAI_API_KEY=sk-vbtest-right "$VB_BIN" run --base-url "$SIM_URL" --progress log -c 1 \
    --budget 0.004 -o "$TMP/b.jsonl" "$TMP/in" 2>"$TMP/b.err" || status=$?
[ "$status" -eq 4 ] || { cat "$TMP/b.err"; fail "budget: exit $status, expected 4"; }
line=$(last_progress "$TMP/b.err")
case "$line" in *"(budget)") ;; *) cat "$TMP/b.err"; fail "budget, last line: $line" ;; esac

# --- a run that finished: (done), with its ETA of 0s
OPENAI_API_KEY=sk-vbtest-right "$VB_BIN" run --base-url "$SIM_URL" --progress log \
    -o "$TMP/d.jsonl" "$TMP/in" 2>"$TMP/d.err" || { cat "$TMP/d.err"; fail "a clean run failed"; }
line=$(last_progress "$TMP/d.err")
case "$line" in *"ETA 0s"*"(done)") ;; *) cat "$TMP/d.err"; fail "done, last line: $line" ;; esac
echo "ux_ctrl_c: ok"
