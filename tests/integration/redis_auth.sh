# redis_auth.sh - Redis AUTH: a password from the URL or from $VISIONBATCH_REDIS_PASSWORD,
# an ACL user; a wrong password is one clear error; the password is never printed and
# is hidden from ps once read.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/redis_lib.inc"

PW=default-pw-7f3a
APW=alice-pw-91c2
gen_images "$TMP/in" 20 --size 64x64 --seed 15
REDIS_PASS=$PW start_redis --requirepass "$PW" --user alice on ">$APW" "~*" "&*" "+@all"
REDIS_PASS=$PW
start_sim --latency-ms 5
HOSTPORT=127.0.0.1:$REDIS_PORT
REDIS_URL="redis://:$PW@$HOSTPORT"  # for check_one_result_each

status=0
"$VB_BIN" run --redis "redis://:wrong-pw@$HOSTPORT" --job "$JOB" --base-url "$SIM_URL" \
    "$TMP/in" 2>"$TMP/wrong.err" || status=$?
[ "$status" -eq 2 ] || fail "wrong password: exit $status"
grep -q "refused the login" "$TMP/wrong.err" || { cat "$TMP/wrong.err"; fail "no clear error"; }
! grep -q "wrong-pw" "$TMP/wrong.err" || fail "the password was printed"

# the password from the environment
VISIONBATCH_REDIS_PASSWORD=$PW "$VB_BIN" run --redis "redis://$HOSTPORT/0" --job "$JOB" \
    --base-url "$SIM_URL" -o "$TMP/own.jsonl" "$TMP/in" 2>"$TMP/env.err" \
    || { cat "$TMP/env.err"; fail "run with VISIONBATCH_REDIS_PASSWORD"; }
[ "$(wc -l <"$TMP/own.jsonl")" -eq 20 ] || fail "-o did not get this process's 20 results"

# an ACL user and password in the URL: the password is gone from ps while it runs (a
# slow simulator keeps the run going long enough to look)
FAST_URL=$SIM_URL
start_sim --latency-ms 1500
"$VB_BIN" run --redis "redis://alice:$APW@$HOSTPORT" --job "${JOB}acl" --base-url "$SIM_URL" --no-cache \
    "$TMP/in" 2>"$TMP/acl.err" >/dev/null &
W=$!
VB_PIDS+=("$W")
sleep 0.7
kill -0 "$W" 2>/dev/null || { cat "$TMP/acl.err"; fail "the ACL run ended too soon to look at ps"; }
cmdline=$(tr '\0' ' ' <"/proc/$W/cmdline")
[[ "$cmdline" == *"redis://alice:****"* ]] || fail "cmdline not scrubbed: $cmdline"
[[ "$cmdline" != *"$APW"* ]] || fail "the password is visible in ps"
wait "$W" || { cat "$TMP/acl.err"; fail "run with an ACL user"; }
SIM_URL=$FAST_URL
"$VB_BIN" worker --redis "redis://alice:$APW@$HOSTPORT" --job "$JOB" --base-url "$SIM_URL" \
    2>"$TMP/acl-worker.err" || { cat "$TMP/acl-worker.err"; fail "worker with an ACL user"; }
"$VB_BIN" status --redis "redis://alice:$APW@$HOSTPORT" --job "$JOB" >"$TMP/st.txt" 2>&1 \
    || { cat "$TMP/st.txt"; fail "status with an ACL user"; }
grep -q "20 with a result" "$TMP/st.txt" || { cat "$TMP/st.txt"; fail "status"; }
! grep -q -e "$PW" -e "$APW" "$TMP"/*.err "$TMP/st.txt" || fail "a password was printed"
check_one_result_each 20
echo "redis_auth: ok"
