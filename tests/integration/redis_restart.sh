# redis_restart.sh - Redis is stopped for 5 s mid-run and started again on the same port
# (a real stop and start: SIGTERM, then a new redis-server reading its append-only file,
# fsynced on every write). The workers say it is lost, pause, reconnect, say it is back,
# and the job completes with exactly one result per image: nothing finished is lost.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/redis_lib.inc"

N=600
gen_images "$TMP/in" "$N" --size 64x64 --seed 14
start_redis --appendonly yes --appendfsync always
start_sim --rpm 6000 --latency-ms 20

common=(--redis "$REDIS_URL" --job "$JOB" --base-url "$SIM_URL" -c 16)
publish_job "${common[@]}"
start_workers 2 "${common[@]}"
for i in $(seq 1 400); do
    [ "$(rcli hlen "vb:job:$JOB:results")" -gt 150 ] && break
    sleep 0.02
done
before=$(rcli hlen "vb:job:$JOB:results")
[ "$before" -lt "$N" ] || fail "the job finished before Redis could be stopped"
kill -TERM "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null || true
requests_down=$(sim_stat requests)
sleep 5
requests_later=$(sim_stat requests)
restart_redis
wait_workers "a worker failed"

grep -q "lost Redis at 127.0.0.1:$REDIS_PORT" "$TMP/w1.err" || fail "no message when Redis went away"
grep -q "Redis at 127.0.0.1:$REDIS_PORT/0 is back: resuming" "$TMP/w1.err" || fail "no message when Redis came back"
# dispatch paused: at most what was already in flight went out while Redis was away
[ $((requests_later - requests_down)) -le 48 ] \
    || fail "$((requests_later - requests_down)) requests sent while Redis was down"
check_one_result_each "$N"
cat "$TMP/w1.err" >&2
echo "redis_restart: ok ($before results before the stop, sim requests $(sim_stat requests))"
