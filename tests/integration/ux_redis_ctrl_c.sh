# ux_redis_ctrl_c.sh - issue 18 point 9 for distributed jobs: `run --redis` and `worker`
# show progress as a plain run does, acknowledge Ctrl-C at once ("stopping: waiting up to
# 30 s for N requests in flight"), and their last progress line ends (cancelled), without
# an ETA; a worker that finished ends (done).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/redis_lib.inc"

gen_images "$TMP/in" 12 --seed 13 --min-side 64 --max-side 128
start_redis
start_sim --latency-ms 3000

# last_progress FILE: the last progress line of a --progress log run's stderr
last_progress() { grep '^progress: ' "$1" | tail -n 1; }

# ctrl_c NAME CMD...: starts CMD (stderr in $TMP/NAME.err), waits until 4 requests are in
# flight, sends SIGINT and checks the stopping line (within 1 s), exit 130, (cancelled).
ctrl_c() {
    local name=$1 err="$TMP/$1.err" pid sent told="" status=0 line
    shift
    "$@" 2>"$err" &
    pid=$!
    VB_PIDS+=("$pid")
    for _ in $(seq 1 200); do
        grep -q "in flight 4" "$err" 2>/dev/null && break
        sleep 0.05
    done
    grep -q "in flight 4" "$err" || { cat "$err"; fail "$name: never 4 in flight"; }
    kill -INT "$pid"
    sent=$(date +%s%N)
    while [ $(( ($(date +%s%N) - sent) / 1000000 )) -lt 1000 ]; do
        if grep -q "^visionbatch: stopping" "$err"; then told=yes; break; fi
        sleep 0.02
    done
    [ -n "$told" ] || { cat "$err"; fail "$name: no 'stopping' line within 1 s of SIGINT"; }
    grep -qx "visionbatch: stopping: waiting up to 30 s for 4 requests in flight (Ctrl-C again to quit now)" \
        "$err" || { cat "$err"; fail "$name: the stopping line"; }
    wait "$pid" || status=$?
    [ "$status" -eq 130 ] || { cat "$err"; fail "$name: Ctrl-C: exit $status, expected 130"; }
    line=$(last_progress "$err")
    case "$line" in *"(cancelled)") ;; *) cat "$err"; fail "$name: last line: $line" ;; esac
    case "$line" in *ETA*) fail "$name: a cancelled run shows an ETA: $line" ;; esac
    [ "$(grep -c "^visionbatch: stopping" "$err")" -eq 1 ] || fail "$name: told more than once"
    grep -q '^visionbatch summary$' "$err" || fail "$name: no summary"
}

# the run that publishes the job, then a worker on what it left
ctrl_c run "$VB_BIN" run --redis "$REDIS_URL" --job "$JOB" --base-url "$SIM_URL" -c 4 \
    --grace 30 --progress log --progress-interval 0.2 "$TMP/in"
# (the run left its unfinished items taken: a worker takes them over after the visibility
# timeout)
ctrl_c worker "$VB_BIN" worker --redis "$REDIS_URL" --job "$JOB" --base-url "$SIM_URL" -c 4 \
    --grace 30 --progress log --progress-interval 0.2 --visibility-timeout 1

# a worker that finishes the job: (done)
"$VB_BIN" worker --redis "$REDIS_URL" --job "$JOB" --base-url "$SIM_URL" -c 4 --visibility-timeout 1 \
    --progress log --progress-interval 0.5 2>"$TMP/last.err" || { cat "$TMP/last.err"; fail "the last worker failed"; }
line=$(last_progress "$TMP/last.err")
case "$line" in *"(done)") ;; *) cat "$TMP/last.err"; fail "last worker, last line: $line" ;; esac
# a Redis job's size is not known to a worker: "N/?", never "N/0 100%"
case "$line" in "progress: "[0-9]*"/? "*) ;; *) fail "last worker, count: $line" ;; esac
echo "ux_redis_ctrl_c: ok"
