# run_resume.sh - the journal: kill -9 twice mid-run and re-run the same command; one
# SIGINT exits cleanly and re-running completes; a folder that gained images costs only
# the new ones; a job with other parameters is refused; export and status read it.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/in"
gen_images "$TMP/in" 300 --seed 31 --min-side 64 --max-side 160
start_sim --latency-ms 40
cmd=("$VB_BIN" run --base-url "$SIM_URL" -c 16 -q -o "$TMP/out.jsonl" "$TMP/in")

# two kills at different moments, then the same command to the end
for wait_s in 0.25 0.5; do
    "${cmd[@]}" &
    pid=$!
    sleep "$wait_s"
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
done
"${cmd[@]}" || fail "the resumed run failed"
py "$TMP/out.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 300, len(lines)
assert len({l["id"] for l in lines}) == 300
assert all(l["status"] == "ok" for l in lines)
PY
# paid at most twice only for what was in flight at a kill (16 per kill)
billed=$(sim_stat images_billed)
distinct=$(sim_stat distinct_images_billed)
[ "$distinct" -eq 300 ] || fail "distinct billed $distinct"
[ $((billed - distinct)) -le 32 ] || fail "billed $billed for 300 images: more than 2 x 16 paid twice"
[ "$(sim_stat requests)" -lt 300 ] || true

# status and export agree with the output
"$VB_BIN" status --json "$TMP/out.journal" >"$TMP/status.json"
py "$TMP/status.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["counts"]["ok"] == 300 and s["items_total"] == 300 and s["eta_s"] == 0, s
PY
"$VB_BIN" export "$TMP/out.journal" -o "$TMP/export.jsonl" 2>/dev/null
[ "$(sort "$TMP/export.jsonl" | md5sum)" = "$(sort "$TMP/out.jsonl" | md5sum)" ] || fail "export differs"
"$VB_BIN" export --format csv "$TMP/out.journal" -o "$TMP/export.csv" 2>/dev/null
[ "$(head -n 1 "$TMP/export.csv" | cut -c 1-22)" = "id,image,status,respon" ] || fail "csv header"

# the folder gains 10 images: only those are sent
gen_images "$TMP/in" 10 --seed 99 --start 1001 --min-side 64 --max-side 160
before=$(sim_stat requests)
"${cmd[@]}" || fail "incremental run failed"
[ $(( $(sim_stat requests) - before )) -eq 10 ] || fail "incremental: $(( $(sim_stat requests) - before )) requests, not 10"
[ "$(wc -l <"$TMP/out.jsonl")" -eq 310 ] || fail "incremental: not 310 lines"

# other parameters: refused, and the results file is left as it was
status=0
"$VB_BIN" run --base-url "$SIM_URL" -p "another prompt" -q -o "$TMP/out.jsonl" "$TMP/in" \
    2>"$TMP/refused.err" || status=$?
[ "$status" -eq 2 ] || fail "other parameters: exit $status"
grep -q -- "--new-job" "$TMP/refused.err" || fail "other parameters: no hint"
[ "$(wc -l <"$TMP/out.jsonl")" -eq 310 ] || fail "the refused run touched the results"

# the result cache: a new job over the same pixels and request sends nothing
before=$(sim_stat requests)
"$VB_BIN" run --base-url "$SIM_URL" --new-job -q -o "$TMP/out.jsonl" "$TMP/in" || fail "new job"
[ "$(sim_stat requests)" -eq "$before" ] || fail "cache: requests were sent"
[ "$(grep -c '"cached":true' "$TMP/out.jsonl")" -eq 310 ] || fail "cache: not all cached"
"$VB_BIN" run --base-url "$SIM_URL" --new-job --no-cache -q -o "$TMP/out.jsonl" "$TMP/in" \
    || fail "no-cache"
[ $(( $(sim_stat requests) - before )) -eq 310 ] || fail "--no-cache did not send everything"

# one SIGINT: in-flight requests finish, exit 130, and the same command completes
rm -f "$TMP/out.jsonl" "$TMP"/out.journal*
"${cmd[@]}" --grace 5 2>"$TMP/int.err" &
pid=$!
# a background job of a non-interactive shell starts with SIGINT ignored until
# visionbatch installs its handler: wait for the first result line, not a fixed time
for _ in $(seq 1 200); do
    [ -s "$TMP/out.jsonl" ] && break
    sleep 0.02
done
kill -INT "$pid"
status=0
wait "$pid" || status=$?
[ "$status" -eq 130 ] || fail "SIGINT: exit $status, expected 130"
grep -q "run the same command again to resume" "$TMP/int.err" || fail "SIGINT: no hint"
"$VB_BIN" status --json "$TMP/out.journal" >"$TMP/status2.json"
py "$TMP/status2.json" <<'PY' || fail "SIGINT left items in flight"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["counts"]["in_flight"] == 0, s
PY
"${cmd[@]}" || fail "after SIGINT: resume failed"
[ "$(wc -l <"$TMP/out.jsonl")" -eq 310 ] || fail "after SIGINT: not 310 lines"
echo "run_resume: ok"
