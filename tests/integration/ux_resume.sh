# ux_resume.sh - issue 18 point 8: a run that resumes a journal says so at the start, on
# stderr ("resuming job: 6 of 10 done, 4 to send"), and its summary adds the job's spend
# over its runs ("job total  $X over N runs": the journal's, equal to the runs' own costs).
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/in"
gen_images "$TMP/in" 6 --seed 41 --min-side 40 --max-side 200
cd "$TMP"
start_sim --latency-ms 2
vb() { OPENAI_API_KEY=k "$VB_BIN" run --base-url "$SIM_URL" --progress none -o out.jsonl \
    --stats-json "$1" in; }

vb s1.json 2>r1.err || { cat r1.err; fail "first run"; }
if grep -q "resuming job" r1.err; then fail "a new job said it resumed"; fi
if grep -q "job total" r1.err; then fail "a new job printed a job total"; fi

gen_images "$TMP/in" 4 --seed 42 --start 500 --min-side 40 --max-side 200
vb s2.json 2>r2.err || { cat r2.err; fail "second run"; }
head -n 1 r2.err | grep -qx "resuming job: 6 of 10 done, 4 to send" ||
    { cat r2.err; fail "no resume line first"; }
vb s3.json 2>r3.err || { cat r3.err; fail "third run"; }
grep -q "resuming job: 10 of 10 done, 0 to send" r3.err || { cat r3.err; fail "third resume line"; }
py s1.json s2.json s3.json r2.err r3.err <<'PY'
import json, re, sys
s = [json.load(open(p)) for p in sys.argv[1:4]]
assert s[0]["job_runs"] == 1 and s[2]["job_runs"] == 3, [x["job_runs"] for x in s]
total = s[0]["cost_usd"] + s[1]["cost_usd"]
assert s[1]["cost_usd"] > 0 and abs(s[1]["job_cost_usd"] - total) < 1e-9, (s[1]["job_cost_usd"], total)
assert abs(s[2]["job_cost_usd"] - total) < 1e-9  # nothing sent the third time
m = re.search(r"job total +\$([0-9.]+) over 2 runs", open(sys.argv[4]).read())
assert m and abs(float(m.group(1)) - total) < 1e-4, m
assert re.search(r"job total +\$[0-9.]+ over 3 runs", open(sys.argv[5]).read())
PY
# the rate is this run's own: 10 replayed results and nothing sent is 0 images/s
OPENAI_API_KEY=k "$VB_BIN" run --base-url "$SIM_URL" --progress json --progress-interval 0.1 \
    -o out.jsonl in 2>r4.err || { cat r4.err; fail "fourth run"; }
py r4.err <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
assert rows and rows[-1]["done"] == 10, rows
assert all(r["images_per_s"] == 0 for r in rows), [r["images_per_s"] for r in rows]
PY
echo "ux_resume: ok"
