# batch_cli.sh - the batch API's settings on the command line: --batch-api and its flags
# parse (as flags and as config lines), what a batch run cannot do is refused with the
# reason (exit 2), a model without batch prices does not start and nothing is sent,
# `status` lists a journal's provider batches (text and --json), the report counts items
# in batches apart, and a resume passes over an item a provider batch holds.
source "$(dirname "$0")/lib.sh"
: "${VB_GEN:?VB_GEN must name the vb-sample-images binary}"

mkdir -p "$TMP/in"
gen_images "$TMP/in" 3 --seed 41 --min-side 64 --max-side 128
printf '{"models": {"llava-13b": {"input": 1, "output": 2}}}\n' >"$TMP/online-only.json"
J="$TMP/job.journal"

# expect_usage MESSAGE ARGS...: `run ARGS` exits 2 and says MESSAGE (a fixed string)
expect_usage() {
    local message=$1 status=0
    shift
    "$VB_BIN" run "$@" >"$TMP/out.txt" 2>"$TMP/err.txt" || status=$?
    [ "$status" -eq 2 ] || { cat "$TMP/err.txt"; fail "run $*: exit $status, expected 2"; }
    grep -qF -- "$message" "$TMP/err.txt" || { cat "$TMP/err.txt"; fail "run $*: no '$message'"; }
}

expect_usage "visionbatch: --batch-api needs --journal FILE: the journal is what knows the batches, so the same command can collect them" \
    --batch-api "$TMP/in"
expect_usage "--batch-api needs --journal FILE" --batch-api --no-journal -o "$TMP/o.jsonl" "$TMP/in"
expect_usage "--no-wait only applies to --batch-api runs" --no-wait --journal "$J" "$TMP/in"
expect_usage "--fallback-online only applies to --batch-api runs" --fallback-online \
    --journal "$J" "$TMP/in"
expect_usage "--batch-api cannot be combined with --batch-size above 1: each line of a provider batch is one image's request" \
    --batch-api --journal "$J" --batch-size 4 "$TMP/in"
expect_usage "--batch-api cannot be combined with --output-format openai-batch: those lines are each request's own HTTP answer" \
    --batch-api --journal "$J" --output-format openai-batch "$TMP/in"
expect_usage "--poll-interval must be from 0.05 to 3600 seconds" --batch-api --journal "$J" \
    --poll-interval 0.01 "$TMP/in"
expect_usage "poll-interval must be a number above 0" --batch-api --journal "$J" \
    --poll-interval 0 "$TMP/in"
expect_usage "batch-api-max-lines must be a whole number from 0" --batch-api-max-lines -3 "$TMP/in"
expect_usage "max-enqueued-tokens must be a number from 0" --max-enqueued-tokens -1 "$TMP/in"
expect_usage "--fallback-after needs --fallback-online" --batch-api --journal "$J" \
    --fallback-after 60 "$TMP/in"
[ ! -e "$J" ] || fail "a refused run created the journal"

# every flag parses; a model without batch prices stops the run before anything is sent
start_sim
expect_usage "no batch price is known for model llava-13b" --base-url "$SIM_URL" --batch-api \
    --journal "$J" --no-wait --poll-interval 1 --batch-api-max-lines 10 \
    --max-enqueued-tokens 1000 --fallback-online --fallback-after 60 \
    --pricing "$TMP/online-only.json" -m llava-13b "$TMP/in"
grep -qF -- "--pricing FILE" "$TMP/err.txt" || fail "the refusal does not name --pricing"
# the same settings as config lines
cat >"$TMP/batch.ini" <<EOF
batch-api = true
no-wait = true
poll-interval = 1
batch-api-max-lines = 10
max-enqueued-tokens = 1000
fallback-online = true
fallback-after = 60
EOF
expect_usage "no batch price is known for model llava-13b" --config "$TMP/batch.ini" \
    --base-url "$SIM_URL" --journal "$J" --pricing "$TMP/online-only.json" -m llava-13b "$TMP/in"
printf 'no-wait = true\n' >"$TMP/nowait.ini"
expect_usage "--no-wait only applies to --batch-api runs" --config "$TMP/nowait.ini" \
    --journal "$J" "$TMP/in"
[ "$(sim_stat requests)" -eq 0 ] || fail "a refused batch run sent requests"
"$VB_BIN" run --help >"$TMP/help.txt"
grep -q -- "--batch-api-max-lines N" "$TMP/help.txt" || fail "run --help lacks the batch flags"

# ---- a journal with provider batches: status lists them, the report counts them -------
cmd=("$VB_BIN" run --base-url "$SIM_URL" -q --journal "$J" -o "$TMP/out.jsonl" "$TMP/in")
"${cmd[@]}" || fail "the online run failed"
first=$(ls "$TMP"/in | head -n 1)
py "$J" "in/$first" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = time.time()
cols = ("key, state, provider, base_url, model, file_ref, batch_id, remote_state, lines,"
        " bytes, est_tokens, reserved_usd, succeeded, failed, pending, created_at,"
        " submitted_at, updated_at")
db.execute(f"INSERT INTO chunks ({cols}) VALUES ('c000001', 'collected', 'openai', 'u', 'm',"
           " 'file-1', 'batch_done1', 'completed', 2, 100, 10, 0, 2, 0, 0, ?, ?, ?)",
           (now - 7230, now - 7230, now - 3600))
db.execute(f"INSERT INTO chunks ({cols}) VALUES ('c000002', 'submitted', 'openai', 'u', 'm',"
           " 'file-2', 'batch_open2', 'in_progress', 1, 50, 5, 0, 0, 0, 1, ?, ?, ?)",
           (now - 90, now - 90, now - 30))
db.execute("UPDATE items SET state = 'batched' WHERE id = ?", (sys.argv[2],))
db.commit()
PY
"$VB_BIN" status "$J" >"$TMP/status.txt" || fail "status"
grep -q "^batches    2 (1 open): 3 lines, succeeded 2, failed 0, pending 1" "$TMP/status.txt" &&
    grep -Eq "^  c000002 +batch_open2 +submitted +in_progress +1 lines  0/0/1  age 0h01m" \
        "$TMP/status.txt" &&
    grep -Eq "^  c000001 +batch_done1 +collected +completed +2 lines  2/0/0  age 2h00m" \
        "$TMP/status.txt" &&
    grep -q "in provider batches 1" "$TMP/status.txt" || { cat "$TMP/status.txt"; fail "status text"; }
"$VB_BIN" status --json "$J" >"$TMP/status.json" || fail "status --json"
py "$TMP/status.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["counts"]["batched"] == 1 and s["counts"]["ok"] == 2, s["counts"]
assert s["batch_totals"] == {"batches": 2, "open": 1, "lines": 3, "succeeded": 2, "failed": 0,
                             "pending": 1}, s["batch_totals"]
b = {x["chunk"]: x for x in s["batches"]}
assert [x["chunk"] for x in s["batches"]] == ["c000001", "c000002"]
assert b["c000002"]["batch_id"] == "batch_open2" and b["c000002"]["state"] == "submitted"
assert b["c000002"]["remote_state"] == "in_progress" and b["c000002"]["pending"] == 1
assert 80 < b["c000002"]["age_s"] < 200, b["c000002"]
PY
"$VB_BIN" report "$J" -o "$TMP/report.html" || fail "report"
grep -q "In provider batches" "$TMP/report.html" || fail "the report does not count batched items"

# a resume (even --retry-failed) does not send the item the batch holds
before=$(sim_stat requests)
"${cmd[@]}" --retry-failed || fail "the resumed run failed"
[ "$(sim_stat requests)" -eq "$before" ] || fail "the resume sent the batched item again"
[ "$(wc -l <"$TMP/out.jsonl")" -eq 2 ] || fail "the resume wrote a line for the batched item"
grep -qF "$first" "$TMP/out.jsonl" && fail "the batched item has a result line"
echo "batch_cli: ok"
