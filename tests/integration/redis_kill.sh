# redis_kill.sh - one of three workers is killed with SIGKILL mid-run: the items it held
# go to the others after the visibility timeout (XAUTOCLAIM), and every image still ends
# with exactly one result.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/redis_lib.inc"

N=600
gen_images "$TMP/in" "$N" --size 64x64 --seed 12
start_redis
start_sim --rpm 6000 --latency-ms 200

common=(--redis "$REDIS_URL" --job "$JOB" --base-url "$SIM_URL" -c 16 --visibility-timeout 2)
publish_job "${common[@]}"
start_workers 2 "${common[@]}"
W2=${WORKERS[2]}
# kill worker 2 once it holds items and has stored some results
consumer=""
for i in $(seq 1 200); do
    consumer=$(rcli xinfo consumers "vb:job:$JOB:items" workers 2>/dev/null \
        | grep -A1 '^name$' | grep ":$W2\$" || true)
    held=0
    [ -n "$consumer" ] && held=$(rcli xpending "vb:job:$JOB:items" workers - + 1000 "$consumer" | grep -c '^[0-9]*-[0-9]*$' || true)
    [ "$(rcli hlen "vb:job:$JOB:results")" -gt 100 ] && [ "$held" -gt 0 ] && break
    sleep 0.05
done
[ "$held" -gt 0 ] || fail "worker 2 never held items"
kill -KILL "$W2"
wait "$W2" 2>/dev/null || true
# what it held when it died (the others wait 2 s before taking any of it)
held=$(rcli xpending "vb:job:$JOB:items" workers - + 1000 "$consumer" | grep -c '^[0-9]*-[0-9]*$' || true)
[ "$held" -gt 0 ] || fail "worker 2 held nothing when it was killed"
echo "killed worker $consumer holding $held items"
wait_workers "a surviving worker failed" "${WORKERS[0]}" "${WORKERS[1]}"

check_one_result_each "$N"
taken=0
for w in w0 w1; do
    t=$(sed -n 's/.* \([0-9]*\) items taken over from other workers.*/\1/p' "$TMP/$w.err")
    taken=$((taken + ${t:-0}))
done
[ "$taken" -ge "$held" ] || fail "the survivors took over $taken items; the dead worker held $held"
echo "redis_kill: ok ($taken items taken over)"
