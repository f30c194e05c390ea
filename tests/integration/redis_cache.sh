# redis_cache.sh - the result cache in Redis is shared: a second job with the same
# images and request, from another process, is answered from it with nothing sent; a
# different prompt is not; --no-cache sends again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/redis_lib.inc"

N=20
gen_images "$TMP/in" "$N" --size 64x64 --seed 17
start_redis
start_sim --latency-ms 5
common=(--redis "$REDIS_URL" --base-url "$SIM_URL" -q)

"$VB_BIN" run "${common[@]}" --job "${JOB}a" "$TMP/in" || fail "first job"
[ "$(sim_stat requests)" -eq "$N" ] || fail "first job: $(sim_stat requests) requests"
"$VB_BIN" run "${common[@]}" --job "${JOB}b" -o "$TMP/b.jsonl" "$TMP/in" || fail "second job"
[ "$(sim_stat requests)" -eq "$N" ] || fail "second job sent $(( $(sim_stat requests) - N )) requests"
py "$TMP/b.jsonl" "$N" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == int(sys.argv[2]) and all(l["cached"] and l["status"] == "ok" for l in lines)
PY
"$VB_BIN" run "${common[@]}" --job "${JOB}c" -p "Another prompt" "$TMP/in" || fail "third job"
[ "$(sim_stat requests)" -eq $((2 * N)) ] || fail "another prompt was answered from the cache"
"$VB_BIN" run "${common[@]}" --job "${JOB}d" --no-cache "$TMP/in" || fail "fourth job"
[ "$(sim_stat requests)" -eq $((3 * N)) ] || fail "--no-cache was answered from the cache"
JOB=${JOB}b check_one_result_each "$N"

# what shapes the answers is the job's: a --json job's worker may not change the batch size
"$VB_BIN" run "${common[@]}" --job "${JOB}e" --json --no-cache -o "$TMP/e.jsonl" "$TMP/in" \
    || fail "--json job"
py "$TMP/e.jsonl" <<'PY'
import json, sys
assert all(isinstance(json.loads(l).get("data"), dict) for l in open(sys.argv[1]))
PY
rc=0
"$VB_BIN" worker "${common[@]}" --job "${JOB}e" --batch-size 3 2>"$TMP/w.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--batch-size differs" "$TMP/w.err" || fail "worker changed the batch size"
echo '{"type":"object"}' >"$TMP/s.json"
rc=0
"$VB_BIN" run "${common[@]}" --job "${JOB}f" --schema "$TMP/s.json" "$TMP/in" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "--schema with --redis: exit $rc, expected 2"
# a batch job whose last group is short still ends (a group waits at most 250 ms)
ls "$TMP"/in/* | head -10 >"$TMP/ten.txt"
before=$(sim_stat requests)
timeout 60 "$VB_BIN" run "${common[@]}" --job "${JOB}g" --batch-size 4 --no-cache \
    -o "$TMP/g.jsonl" "$TMP/ten.txt" || fail "--batch-size 4 job of 10 items did not end"
[ "$(grep -c '"status":"ok"' "$TMP/g.jsonl")" -eq 10 ] || fail "batch job: not 10 ok results"
sent=$(( $(sim_stat requests) - before ))
[ "$sent" -lt 10 ] || fail "batch job: $sent requests for 10 images: nothing was grouped"
# the URL policy holds for distributed runs too: no key over plain http to another host
rc=0
"$VB_BIN" run --redis "$REDIS_URL" --job "${JOB}h" --base-url http://192.0.2.1 -q \
    "$TMP/ten.txt" 2>"$TMP/h.err" || rc=$?
[ "$rc" -eq 2 ] || fail "plain http to a remote host with --redis: exit $rc, expected 2"
echo "redis_cache: ok"
