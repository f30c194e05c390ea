# batchapi_faults.sh - --batch-api when batches go wrong (OpenAI's protocol): a batch that
# fails validation fails only the line it names; the enqueued-token limit sends the lines
# again in smaller batches; --fallback-online finishes an expired batch's lines online;
# --fallback-after cancels a slow batch and sends what did not run online; `cancel`
# cancels open batches and the next run collects them; --budget holds the batch-priced
# worst case; copies of an image are sent once and answered with it.
source "$(dirname "$0")/lib.sh"
PROVIDER=openai MODEL=gpt-4o-mini KEY_VAR=OPENAI_API_KEY
source "$(dirname "$0")/batchapi_lib.inc"

mkdir -p "$TMP/in"
gen_images "$TMP/in" 40 --seed 61 --min-side 40 --max-side 300
BA=(--batch-api --poll-interval 0.1 --batch-api-max-lines 10)

# validation: the 2nd batch fails naming its line 2: that image fails alone, the other
# nine go again and succeed
start_sim --key "$KEY" --batch-seconds 0.2 --batch-validation-fail 2
status=0
vbrun "${BA[@]}" --journal "$TMP/v.journal" -o "$TMP/v.jsonl" "$TMP/in" 2>"$TMP/v.err" || status=$?
[ "$status" -eq 1 ] || { cat "$TMP/v.err"; fail "validation: exit $status, expected 1"; }
py "$TMP/v.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 40, len(lines)
bad = [l for l in lines if l["status"] != "ok"]
assert len(bad) == 1 and bad[0]["error"]["kind"] == "invalid_request", bad
PY
echo "validation failure: one line failed, the rest resubmitted"

# the enqueued-token limit: batches over it fail; their lines go again smaller
start_sim --key "$KEY" --batch-seconds 0.2 --batch-enqueued-tokens 60000
vbrun --batch-api --poll-interval 0.1 --journal "$TMP/t.journal" -o "$TMP/t.jsonl" "$TMP/in" \
    2>"$TMP/t.err" || { cat "$TMP/t.err"; fail "enqueued-token limit: run failed"; }
check_batch_lines "$TMP/t.jsonl" 40
[ "$(sim_stat batch.final.failed)" -ge 1 ] || fail "the token limit never failed a batch"
grep -q "enqueued-token limit" "$TMP/t.err" || { cat "$TMP/t.err"; fail "no word of the limit"; }
# --max-enqueued-tokens keeps under it from the start: no batch fails
start_sim --key "$KEY" --batch-seconds 0.2 --batch-enqueued-tokens 60000
vbrun --batch-api --poll-interval 0.1 --max-enqueued-tokens 50000 --journal "$TMP/t2.journal" \
    -o "$TMP/t2.jsonl" "$TMP/in" 2>"$TMP/t2.err" || { cat "$TMP/t2.err"; fail "--max-enqueued-tokens run"; }
check_batch_lines "$TMP/t2.jsonl" 40
[ "$(sim_stat batch.final.failed)" -eq 0 ] || fail "--max-enqueued-tokens: a batch still failed"
echo "enqueued-token limit: resubmitted smaller; --max-enqueued-tokens stays under it"

# --fallback-online: the first batch expires with half its lines not run: those go online
start_sim --key "$KEY" --batch-seconds 0.2 --batch-expire 1:0.5
vbrun "${BA[@]}" --fallback-online --journal "$TMP/f.journal" -o "$TMP/f.jsonl" "$TMP/in" \
    2>"$TMP/f.err" || { cat "$TMP/f.err"; fail "--fallback-online run failed"; }
check_batch_lines "$TMP/f.jsonl" 40
online=$(sim_stat requests_by_protocol.openai)
[ "$online" -ge 3 ] && [ "$online" -le 6 ] || fail "--fallback-online: $online online requests, expected about 5"
[ "$(sim_stat batch.billed_twice)" -eq 0 ] || fail "--fallback-online: billed twice"
echo "--fallback-online: $online lines of an expired batch sent online"

# --fallback-after: a batch slower than it is cancelled; what did not run goes online
start_sim --key "$KEY" --batch-seconds 30
vbrun --batch-api --poll-interval 0.2 --fallback-online --fallback-after 1 \
    --journal "$TMP/fa.journal" -o "$TMP/fa.jsonl" "$TMP/in" 2>"$TMP/fa.err" ||
    { cat "$TMP/fa.err"; fail "--fallback-after run failed"; }
check_batch_lines "$TMP/fa.jsonl" 40
[ "$(sim_stat batch.final.cancelled)" -eq 1 ] || fail "--fallback-after: the batch was not cancelled"
echo "--fallback-after: the slow batch cancelled, its lines sent online"

# cancel: a --no-wait job's batch is cancelled; the next run collects and resends
start_sim --key "$KEY" --batch-seconds 30
vbrun --batch-api --no-wait --journal "$TMP/c.journal" -o "$TMP/c.jsonl" "$TMP/in" 2>"$TMP/c.err" ||
    { cat "$TMP/c.err"; fail "cancel: --no-wait failed"; }
vbp cancel "$TMP/c.journal" --base-url "$(base)" >"$TMP/c.out" 2>&1 || { cat "$TMP/c.out"; fail "cancel failed"; }
grep -q "1 batches cancelled" "$TMP/c.out" || { cat "$TMP/c.out"; fail "cancel: not said"; }
[ "$(sim_stat batch.final.cancelled)" -eq 1 ] || fail "cancel: the simulator's batch is not cancelled"
vbp status "$TMP/c.journal" | grep -q cancel || fail "status does not show the cancelled batch"
echo "cancel: the batch cancelled at the provider"

# --budget: the batch-priced worst case is held per line; nothing goes past it
start_sim --key "$KEY" --batch-seconds 0.2
status=0
vbrun "${BA[@]}" --budget 0.004 --journal "$TMP/b.journal" -o "$TMP/b.jsonl" "$TMP/in" \
    2>"$TMP/b.err" || status=$?
[ "$status" -eq 4 ] || { cat "$TMP/b.err"; fail "--budget: exit $status, expected 4"; }
py "$TMP/b.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ok = [l for l in lines if l["status"] == "ok"]
skipped = [l for l in lines if l["status"] == "skipped"]
assert ok and skipped and len(ok) + len(skipped) == 40, (len(ok), len(skipped))
spent = sum(l["cost_usd"] for l in ok)
assert spent <= 0.004, spent
PY
echo "--budget: held at the batch price, never passed"

# many lines failing: resubmissions seal new batches while a batch is being collected
start_sim --key "$KEY" --batch-seconds 0.1 --batch-line-fail-rate 0.3
vbrun "${BA[@]}" --retries 12 --journal "$TMP/r.journal" -o "$TMP/r.jsonl" "$TMP/in" \
    2>"$TMP/r.err" || { cat "$TMP/r.err"; fail "30% failing lines: run failed"; }
check_batch_lines "$TMP/r.jsonl" 40
[ "$(sim_stat batch.billed_twice)" -eq 0 ] || fail "30% failing lines: billed twice"
echo "30% failing lines: all resubmitted to success"

# Ctrl-C while --fallback-online requests are on the wire: nothing is lost, the rerun
# finishes every image
start_sim --key "$KEY" --batch-seconds 0.2 --batch-expire 1:1.0 --latency-ms 1500
vbrun "${BA[@]}" -c 2 --fallback-online --journal "$TMP/x.journal" -o "$TMP/x.jsonl" \
    "$TMP/in" 2>"$TMP/x.err" &
pid=$!
VB_PIDS+=("$pid")
sleep 3.5
kill -INT "$pid"
wait "$pid" || true
vbrun "${BA[@]}" -c 8 --fallback-online --journal "$TMP/x.journal" -o "$TMP/x.jsonl" \
    "$TMP/in" 2>>"$TMP/x.err" || { cat "$TMP/x.err"; fail "rerun after Ctrl-C failed"; }
check_batch_lines "$TMP/x.jsonl" 40
echo "Ctrl-C during fallback: nothing lost"

# copies: the same image under three names is sent once, the copies get its answer
mkdir -p "$TMP/dup"
one=$(ls "$TMP/in" | head -1)
for n in a b c; do cp "$TMP/in/$one" "$TMP/dup/$n.jpg"; done
start_sim --key "$KEY" --batch-seconds 0.2
vbrun "${BA[@]}" --journal "$TMP/d.journal" -o "$TMP/d.jsonl" "$TMP/dup" 2>"$TMP/d.err" ||
    { cat "$TMP/d.err"; fail "copies: run failed"; }
[ "$(sim_stat batch.lines.ok)" -eq 1 ] || fail "copies: $(sim_stat batch.lines.ok) lines sent for one image"
py "$TMP/d.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 3 and all(l["status"] == "ok" for l in lines), lines
assert sum(1 for l in lines if l.get("duplicate_of")) == 2, lines
PY

# a copy of an image that goes online (--fallback-online) is left to the next run, which
# answers it from the result cache without sending anything
start_sim --key "$KEY" --batch-seconds 0.2 --batch-expire 1:1.0
vbrun "${BA[@]}" --fallback-online --journal "$TMP/fc.journal" -o "$TMP/fc.jsonl" "$TMP/dup" \
    2>"$TMP/fc.err" || { cat "$TMP/fc.err"; fail "copies + fallback: run failed"; }
grep -q "copies of images sent online" "$TMP/fc.err" || { cat "$TMP/fc.err"; fail "copies left unsaid"; }
sent=$(sim_stat requests_by_protocol.openai)
vbrun "${BA[@]}" --fallback-online --journal "$TMP/fc.journal" -o "$TMP/fc.jsonl" "$TMP/dup" \
    2>>"$TMP/fc.err" || { cat "$TMP/fc.err"; fail "copies + fallback: rerun failed"; }
[ "$(sim_stat requests_by_protocol.openai)" -eq "$sent" ] || fail "the rerun sent the copies"
[ "$(sim_stat batch.batches)" -eq 1 ] || fail "the rerun made a batch"
py "$TMP/fc.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 3 and all(l["status"] == "ok" for l in lines), lines
PY
echo "batchapi_faults: ok"
