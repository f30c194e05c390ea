# redis_workers.sh - three processes on one job against one simulator limited to 6,000
# requests a minute: the shared limiter keeps 429s at or under 2% and the aggregate rate
# within 10% of the limit; every image ends with exactly one result; status and export
# work from another process; a worker with another model is refused. (The 3,000-image
# figure is bench/redis.sh.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/redis_lib.inc"

N=${VB_REDIS_IMAGES:-900}
gen_images "$TMP/in" "$N" --size 64x64 --seed 11
start_redis
start_sim --rpm 6000 --latency-ms 20

publish_job --redis "$REDIS_URL" --job "$JOB" --base-url "$SIM_URL" -c 20 -q
status=0
"$VB_BIN" worker --redis "$REDIS_URL" --job "$JOB" --base-url "$SIM_URL" -m gpt-4o \
    2>"$TMP/bad.err" || status=$?
[ "$status" -eq 2 ] && grep -q -- "--model differs from the job's" "$TMP/bad.err" \
    || { cat "$TMP/bad.err"; fail "a worker with another model was not refused"; }
start_workers 2 --redis "$REDIS_URL" --job "$JOB" --base-url "$SIM_URL" -c 20
"$VB_BIN" status --redis "$REDIS_URL" --job "$JOB" --json >"$TMP/mid.json" || fail "status --redis"
wait_workers "a worker failed"

check_one_result_each "$N"
for w in w1 w2; do
    grep -q "results stored by this worker" "$TMP/$w.err" || fail "$w printed no summary"
    stored=$(sed -n 's/^redis *\([0-9]*\) results stored.*/\1/p' "$TMP/$w.err")
    [ "$stored" -gt 0 ] || fail "$w stored nothing: the work was not shared"
done
"$VB_BIN" status --redis "$REDIS_URL" --job "$JOB" --json >"$TMP/end.json" || fail "status"
requests=$(sim_stat requests)
limited=$(sim_stat rate_limited)
first=$(sim_stat first_request_ms)
last=$(sim_stat last_response_ms)
py "$TMP/end.json" "$N" "$requests" "$limited" "$first" "$last" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
n, req, lim, first, last = map(int, sys.argv[2:])
assert st["items"] == n and st["results"] == n and st["ok"] == n and st["pending"] == 0, st
assert st["workers"] == 3, st
assert lim <= 0.02 * req, f"{lim} of {req} requests got 429"
rpm = (req - 1) / ((last - first) / 60000.0)
print(f"redis_workers: {n} images, {req} requests, {lim} 429s, aggregate {rpm:.0f} rpm")
assert abs(rpm - 6000) <= 600, f"aggregate rate {rpm:.0f} rpm is not within 10% of 6000"
PY
# publishing is idempotent: the same run again adds nothing and sends nothing
"$VB_BIN" run --redis "$REDIS_URL" --job "$JOB" --base-url "$SIM_URL" "$TMP/in" \
    2>"$TMP/again.err" >/dev/null || { cat "$TMP/again.err"; fail "the same run again"; }
grep -q "job $JOB: 0 new items published" "$TMP/again.err" || fail "a second publisher added items"
[ "$(sim_stat requests)" -eq "$requests" ] || fail "the same run again sent requests"
check_one_result_each "$N"
# the key never reaches Redis: only its fingerprint names the limiter
rcli --scan >"$TMP/keys"
grep -q '^vb:limit:[0-9a-f]\{16\}$' "$TMP/keys" || fail "no shared limiter key"
! grep -q "$OPENAI_API_KEY" "$TMP/keys" || fail "the API key is in a Redis key name"
echo "redis_workers: ok"
