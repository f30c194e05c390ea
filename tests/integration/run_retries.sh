# run_retries.sh - every row of the retry table (provider-facts.md §4) against the
# simulator: what is retried succeeds or fails with its kind after the retries, what
# cannot succeed fails at once, what can never succeed stops the run.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/in"
gen_images "$TMP/in" 40 --seed 21 --min-side 64 --max-side 160
run() { # run NAME [visionbatch options...]: exit status in $status, output in $TMP/NAME.jsonl
    local name=$1
    shift
    status=0
    "$VB_BIN" run --base-url "$SIM_URL" -o "$TMP/$name.jsonl" "$@" 2>"$TMP/$name.err" || status=$?
}
kinds() { # kinds FILE: "kind:count ..." of the error lines, and the attempts seen
    py "$1" <<'PY'
import json, sys, collections
c = collections.Counter()
for l in map(json.loads, open(sys.argv[1])):
    c[(l["status"], (l["error"] or {}).get("kind"), l["attempts"])] += 1
print(" ".join(f"{s}/{k}/{a}:{n}" for (s, k, a), n in sorted(c.items(), key=str)))
PY
}

# 5xx half the time: every image still succeeds, with retries
start_sim --fail-rate 0.5 --seed 3
run flaky --retries 20 --retry-base 0.01 --retry-max 0.05 -c 8 "$TMP/in"
[ "$status" -eq 0 ] || { kinds "$TMP/flaky.jsonl"; fail "flaky: exit $status"; }
[ "$(grep -c '"status":"ok"' "$TMP/flaky.jsonl")" -eq 40 ] || fail "flaky: not all ok"
grep -q '"attempts":[2-9]' "$TMP/flaky.jsonl" || fail "flaky: no retries recorded"
[ "$(sim_stat images_billed)" -eq 40 ] || fail "flaky: billed $(sim_stat images_billed), not 40"

# 5xx always: each item fails as server_error after 1 + 2 attempts
start_sim --fail-rate 1
run broken --retries 2 --retry-base 0.01 --retry-max 0.02 -c 8 "$TMP/in"
[ "$status" -eq 1 ] || fail "broken: exit $status"
[ "$(kinds "$TMP/broken.jsonl")" = "error/server_error/3:40" ] || fail "broken: $(kinds "$TMP/broken.jsonl")"
grep -q '(after 3 attempts)' "$TMP/broken.jsonl" || fail "broken: message does not say the attempts"

# no answer at all, before any success: nothing can succeed, the run stops (exit 3) after a
# few timeouts in a row, nothing marked failed (fail_fast.sh has the details)
start_sim --timeout-rate 1 --hang-ms 5000
run hang --timeout 0.3 --retries 1 --retry-base 0.01 -c 20 "$TMP/in"
[ "$status" -eq 3 ] || fail "hang: exit $status: $(kinds "$TMP/hang.jsonl")"
grep -q "check the server" "$TMP/hang.err" || fail "hang: $(cat "$TMP/hang.err")"
! grep -q '"status":"error"' "$TMP/hang.jsonl" || fail "hang: items marked failed"

# connection closed mid-answer: network error, retried
start_sim --reset-rate 1
run reset --retries 1 --retry-base 0.01 -c 8 "$TMP/in"
[ "$(kinds "$TMP/reset.jsonl")" = "error/network/2:40" ] || fail "reset: $(kinds "$TMP/reset.jsonl")"

# rate limited: a small RPM with no --rpm given; the run slows down and every image succeeds
start_sim --rpm 1200 --burst-s 0.01
run limited -c 40 "$TMP/in"
[ "$status" -eq 0 ] || fail "limited: exit $status: $(kinds "$TMP/limited.jsonl")"
grep -q "rate-limited 429s" "$TMP/limited.err" || fail "limited: summary lacks 429s"

# a request that can never fit the token limit fails at once, unsent
start_sim
run tpm --tpm 1000 -m gpt-4o-mini --detail high -c 4 "$TMP/in"
[ "$(kinds "$TMP/tpm.jsonl")" = "error/too_large/0:40" ] || fail "tpm: $(kinds "$TMP/tpm.jsonl")"
[ "$(sim_stat requests)" -eq 0 ] || fail "tpm: requests were sent"

# the server says it is too large for its TPM: not retried; and once its headers have
# told the limit, the remaining items fail at once without being sent
start_sim --tpm 2000
run tpm_server -m gpt-4o-mini --detail high -c 4 "$TMP/in"
py "$TMP/tpm_server.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 40 and all(l["error"]["kind"] == "too_large" for l in lines)
sent = [l for l in lines if l["attempts"] == 1]
assert 1 <= len(sent) <= 4 and all(l["error"]["http_status"] == 429 for l in sent), len(sent)
assert all(l["attempts"] in (0, 1) for l in lines)
PY

# a 400 (image over the server's size limit) fails the item without a retry; the same 400
# on the first 5 items, before any success, stops the run: every request is refused
start_sim --max-image-bytes 100
run bad_request -c 4 "$TMP/in"
[ "$status" -eq 3 ] || fail "400: exit $status"
grep -q "every request is refused: the first 5 items all got HTTP 400 invalid_request" \
    "$TMP/bad_request.err" || fail "400: $(tail -n 1 "$TMP/bad_request.err")"
[ "$(kinds "$TMP/bad_request.jsonl")" = "error/invalid_request/1:4" ] || fail "400: $(kinds "$TMP/bad_request.jsonl")"
[ "$(sim_stat requests)" -lt 12 ] || fail "400: $(sim_stat requests) requests"

# no quota after 10 answers: the run stops with exit 3 and the reason; done items are kept
start_sim --quota-after 10 --latency-ms 5
run quota -c 2 "$TMP/in"
[ "$status" -eq 3 ] || fail "quota: exit $status"
grep -q "run stopped: HTTP 429 insufficient_quota" "$TMP/quota.err" || fail "quota: reason"
[ "$(grep -c '"status":"ok"' "$TMP/quota.jsonl")" -eq 10 ] || fail "quota: done items missing"
[ "$(sim_stat requests)" -le 12 ] || fail "quota: $(sim_stat requests) requests sent after the stop"
echo "run_retries: ok"
