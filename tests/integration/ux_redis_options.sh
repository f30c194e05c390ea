# ux_redis_options.sh - issue 18 point 12 in a distributed job: --system, --temperature
# and --seed are the job's parameters in Redis; a worker started without them sends them
# (the simulator records every body), and a worker giving another temperature is refused.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/redis_lib.inc"

gen_images "$TMP/in" 60 --size 64x64 --seed 5
start_redis
start_sim --latency-ms 60 --record-requests "$TMP/req.log"
publish_job --redis "$REDIS_URL" --job "$JOB" --base-url "$SIM_URL" -c 2 -q \
    --system "Be brief." --temperature 0.5 --seed 9
status=0
"$VB_BIN" worker --redis "$REDIS_URL" --job "$JOB" --base-url "$SIM_URL" --temperature 1 \
    2>"$TMP/bad.err" || status=$?
[ "$status" -eq 2 ] && grep -q -- "--temperature differs from the job's" "$TMP/bad.err" ||
    { cat "$TMP/bad.err"; fail "a worker with another temperature was not refused"; }
start_workers 1 --redis "$REDIS_URL" --job "$JOB" --base-url "$SIM_URL" -c 2
wait_workers "a worker failed"
grep -q "results stored by this worker" "$TMP/w1.err" || fail "w1 printed no summary"
py "$TMP/req.log" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
assert len(reqs) == 60, len(reqs)
for r in reqs:
    assert r["messages"][0] == {"role": "system", "content": "Be brief."}, r["messages"][0]
    assert r["temperature"] == 0.5 and r["seed"] == 9, r
PY
stored=$(sed -n 's/^redis *\([0-9]*\) results stored.*/\1/p' "$TMP/w1.err")
[ "$stored" -gt 0 ] || fail "the worker sent nothing: its bodies were not checked"
echo "ux_redis_options: ok"
