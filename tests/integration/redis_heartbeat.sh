# redis_heartbeat.sh - a live worker keeps the items it holds: answers slower than the
# visibility timeout do not make another worker take them (which would send and pay for
# them twice), because each worker touches what it holds every third of the timeout.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/redis_lib.inc"

N=32
gen_images "$TMP/in" "$N" --size 64x64 --seed 16
start_redis
start_sim --latency-ms 2500

common=(--redis "$REDIS_URL" --job "$JOB" --base-url "$SIM_URL" -c 8 --visibility-timeout 1)
publish_job "${common[@]}"
start_workers 1 "${common[@]}"
wait_workers "a worker failed"
check_one_result_each "$N"
[ "$(sim_stat requests)" -eq "$N" ] \
    || fail "$(sim_stat requests) requests for $N images: a held item was taken over"
grep -q " 0 items taken over" "$TMP/w0.err" || fail "worker 0 took over items of a live worker"
grep -q " 0 items taken over" "$TMP/w1.err" || fail "worker 1 took over items of a live worker"
echo "redis_heartbeat: ok"
