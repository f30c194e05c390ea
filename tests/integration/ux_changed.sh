# ux_changed.sh - issue 18 point 4: a photo replaced under the same path is described
# again. The same command run again over a journal sends exactly the images whose bytes
# changed (2 replaced by other pictures), not one touched without a change nor the others;
# the summary counts them ("changed since last run: 2", stats JSON "changed"), and the
# journal's export holds the new descriptions (the simulator names each image by its
# SHA-256, so an answer says which bytes it saw).
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/in" "$TMP/new"
gen_images "$TMP/in" 6 --seed 31 --min-side 40 --max-side 200
gen_images "$TMP/new" 3 --seed 77 --min-side 40 --max-side 200
cd "$TMP"
start_sim --latency-ms 2

run() { # run STATS_JSON: the same command each time
    OPENAI_API_KEY=k "$VB_BIN" run --base-url "$SIM_URL" --progress none -c 2 -o out.jsonl \
        --stats-json "$1" in 2>"$1.err" || { cat "$1.err"; fail "run failed"; }
}

run first.json
[ "$(sim_stat requests)" = 6 ] || fail "the first run sent $(sim_stat requests) requests, not 6"

mapfile -t files < <(ls in)
replaced=("${files[0]}" "${files[3]}")
touched="${files[1]}"
sleep 0.05 # a new mtime even on a coarse clock
mapfile -t fresh < <(ls new)
cp "new/${fresh[0]}" "in/${replaced[0]}"
cp "new/${fresh[1]}" "in/${replaced[1]}"
touch "in/$touched"

run second.json
sent=$(($(sim_stat requests) - 6))
[ "$sent" = 2 ] || fail "the second run sent $sent requests, not 2 (the replaced images)"
grep -q "changed since last run: 2" second.json.err ||
    { cat second.json.err; fail "the summary does not say 'changed since last run: 2'"; }

"$VB_BIN" export out.journal -o export.jsonl 2>/dev/null || fail "export failed"
py export.jsonl out.jsonl second.json "in/${replaced[0]}" "in/${replaced[1]}" \
    "new/${fresh[0]}" "new/${fresh[1]}" <<'PY'
import hashlib, json, sys
exported, out, stats = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
ids, sources = sys.argv[4:6], sys.argv[6:8]
assert stats["changed"] == 2, stats.get("changed")
lines = [json.loads(l) for l in open(exported)]
assert len(lines) == 6, len(lines)
by_id = {l["id"]: l for l in lines}
for i, src in zip(ids, sources):
    want = "sha256:" + hashlib.sha256(open(src, "rb").read()).hexdigest()
    assert by_id[i]["content_hash"] == want, (i, by_id[i]["content_hash"])
    assert want in by_id[i]["response"], by_id[i]["response"]
# the run's own output: each id once, the replaced ones with the new description
last = {}
for l in map(json.loads, open(out)):
    assert l["id"] not in last, "an id twice in the output: " + l["id"]
    last[l["id"]] = l
assert len(last) == 6
for i in ids:
    assert last[i]["response"] == by_id[i]["response"]
PY

# the journal holds each file's size and mtime as of its answer; the touched one's new mtime
py out.journal "in/$touched" <<'PY'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = {r[0]: r[1:] for r in db.execute("SELECT id, file_size, file_mtime_ns FROM items")}
assert len(rows) == 6
for i, (size, mtime) in rows.items():
    st = os.stat(i)
    assert (size, mtime) == (st.st_size, st.st_mtime_ns), (i, size, mtime, st)
assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "4"
PY

# a third run: nothing changed, nothing sent (the touched file's new mtime was recorded)
run third.json
[ "$(sim_stat requests)" = 8 ] || fail "the third run sent requests"
py third.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["changed"] == 0 and s["reused"]["earlier_run"] == 6, s
PY

# a journal without sizes and mtimes (as written before they were kept): each file is
# hashed; one replaced is sent again, and its old line, replayed first, precedes the new
py out.journal <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE items SET file_size = NULL, file_mtime_ns = NULL")
db.commit()
PY
again="${files[2]}"
cp "new/${fresh[2]}" "in/$again"
run fourth.json
[ "$(sim_stat requests)" = 9 ] || fail "the unstamped journal's run sent $(($(sim_stat requests) - 8)), not 1"
py out.jsonl fourth.json "in/$again" "new/${fresh[2]}" <<'PY'
import hashlib, json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
stats = json.load(open(sys.argv[2]))
assert stats["changed"] == 1 and stats["images"] == 6, stats
mine = [l for l in lines if l["id"] == sys.argv[3]]
want = "sha256:" + hashlib.sha256(open(sys.argv[4], "rb").read()).hexdigest()
assert len(mine) == 2 and mine[-1]["content_hash"] == want != mine[0]["content_hash"], mine
PY
# every file touched (a copy of the catalog, say) and the next run stopped at once (the
# server unreachable): the earlier answers the replay held back are still written
sleep 0.05
touch in/*
status=0
OPENAI_API_KEY=k "$VB_BIN" run --base-url "http://127.0.0.1:1/v1" --progress none -c 2 \
    -o out.jsonl in 2>stopped.err || status=$?
[ "$status" -eq 3 ] || { cat stopped.err; fail "unreachable: exit $status, expected 3"; }
py out.jsonl <<'PY'
import json, sys
ids = {json.loads(l)["id"] for l in open(sys.argv[1])}
assert len(ids) == 6, ("the stopped run's results lost earlier answers", sorted(ids))
PY
# through the batch API: a replaced photo is counted as changed when it goes into a
# batch, and the job's total keeps what its earlier answer cost
mkdir -p b
cp in/* b/
batch() { # batch STATS_JSON
    OPENAI_API_KEY=k "$VB_BIN" run --base-url "$SIM_URL" --batch-api --poll-interval 0.2 \
        --progress none -o b.jsonl --stats-json "$1" b 2>"$1.err" || { cat "$1.err"; fail "batch run"; }
}
batch b1.json
gen_images new2 1 --seed 91 --min-side 40 --max-side 200
sleep 0.05
cp new2/* "b/${files[2]}"
batch b2.json
py b1.json b2.json <<'PY'
import json, sys
first, second = (json.load(open(p)) for p in sys.argv[1:3])
assert second["changed"] == 1 and second["requests"] > 0, second
assert second["images"] == 6, second["images"]  # the replaced one counted once
assert second["job_cost_usd"] > first["job_cost_usd"] + 1e-9, (first["job_cost_usd"], second["job_cost_usd"])
PY
echo "ok"
