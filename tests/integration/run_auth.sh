# run_auth.sh - the API key: sent as a bearer token, a rejected key stops the run with
# exit 3 after at most the concurrency's worth of requests, and the key is nowhere in
# what the run writes.
source "$(dirname "$0")/lib.sh"

KEY="sk-vbtest-$RANDOM$RANDOM-secret"
mkdir -p "$TMP/in"
gen_images "$TMP/in" 60 --seed 5 --min-side 64 --max-side 128
start_sim --key "$KEY" --latency-ms 20

OPENAI_API_KEY="$KEY" "$VB_BIN" run --base-url "$SIM_URL" -c 4 -o "$TMP/ok.jsonl" "$TMP/in" \
    2>"$TMP/ok.err" || fail "a run with the right key failed"
[ "$(wc -l <"$TMP/ok.jsonl")" -eq 60 ] || fail "right key: not 60 lines"

before=$(sim_stat requests)
status=0
start=$(date +%s%N)
VISIONBATCH_API_KEY="sk-wrong-$KEY" "$VB_BIN" run --base-url "$SIM_URL" -c 4 \
    -o "$TMP/bad.jsonl" "$TMP/in" 2>"$TMP/bad.err" || status=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$status" -eq 3 ] || { cat "$TMP/bad.err"; fail "wrong key: exit $status, expected 3"; }
grep -q "run stopped: HTTP 401" "$TMP/bad.err" || fail "no one-line reason on stderr"
sent=$(( $(sim_stat requests) - before ))
[ "$sent" -le 4 ] || fail "wrong key: $sent requests sent, more than the concurrency (4)"
[ "$elapsed_ms" -lt 5000 ] || fail "wrong key: took ${elapsed_ms} ms"

# --api-key is refused outright: a key in argv is visible to everyone through ps
status=0
"$VB_BIN" run --api-key "$KEY" "$TMP/in" 2>"$TMP/argv.err" || status=$?
[ "$status" -eq 2 ] || fail "--api-key accepted"

# the key file route, and no trace of the key anywhere
printf '%s\n' "$KEY" >"$TMP/key"
chmod 600 "$TMP/key"
env -u OPENAI_API_KEY -u VISIONBATCH_API_KEY "$VB_BIN" run --base-url "$SIM_URL" \
    --api-key-file "$TMP/key" -o "$TMP/file.jsonl" "$TMP/in" 2>"$TMP/file.err" \
    || fail "key file run failed"
if grep -rl -- "$KEY" "$TMP"/*.jsonl "$TMP"/*.err "$TMP"/sim.*; then
    fail "the API key appears in the files above"
fi
echo "run_auth: ok"
