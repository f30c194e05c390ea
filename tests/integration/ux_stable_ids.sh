# ux_stable_ids.sh - issue 18 point 5: the ids of images found by walking a directory
# are its own name + the path below it, however the directory is named (catalog/,
# /abs/path/catalog, "." from inside it), so the same folder named two ways resumes
# the same job: nothing is sent again and the output keeps one line per image. A
# journal written when ids were the paths as walked (./catalog/a.jpg) still resumes.
source "$(dirname "$0")/lib.sh"

# an old binary (VB_OLD_BIN, e.g. a release before stable ids) writes a journal with the
# old ids; without it, that journal is made by renaming the ids of a new one as the old
# binary would have written them (and clearing the file stamps it did not keep)
OLD_BIN=${VB_OLD_BIN:-}

mkdir -p "$TMP/x/catalog/sub" "$TMP/y/catalog"
gen_images "$TMP/x/catalog" 3 --seed 51 --min-side 40 --max-side 160
gen_images "$TMP/x/catalog/sub" 2 --seed 52 --start 100 --min-side 40 --max-side 160
gen_images "$TMP/y/catalog" 3 --seed 53 --min-side 40 --max-side 160
start_sim --latency-ms 2
export OPENAI_API_KEY=sk-vbtest-ids

# vb OUT NAME INPUT: runs visionbatch (results OUT, its journal beside), stderr in NAME.err;
# --no-cache so that only the journal's ids can spare a request
vb() {
    "$VB_BIN" run --base-url "$SIM_URL" --progress none --no-cache -o "$1" "$3" \
        2>"$TMP/$2.err" || { cat "$TMP/$2.err"; fail "$2: exit status"; }
}
# expect_lines OUT N: OUT has N lines, N distinct ids, all ok
expect_lines() {
    py "$1" "$2" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ids = sorted(l["id"] for l in lines)
assert len(lines) == int(sys.argv[2]) and len(set(ids)) == len(lines), ids
assert all(l["status"] == "ok" for l in lines), lines
PY
}

cd "$TMP/x"
vb "$TMP/x/out.jsonl" relative catalog/
[ "$(sim_stat requests)" -eq 5 ] || fail "first run: $(sim_stat requests) requests, expected 5"
expect_lines out.jsonl 5
grep -q '"id":"catalog/sub/product-000101.jpg"' out.jsonl || { cat out.jsonl; fail "ids"; }
vb "$TMP/x/out.jsonl" absolute "$TMP/x/catalog/"
[ "$(sim_stat requests)" -eq 5 ] || fail "absolute path: $(sim_stat requests) requests, expected 5"
expect_lines out.jsonl 5
grep -q "resuming job: 5 of 5 done, 0 to send" "$TMP/absolute.err" || { cat "$TMP/absolute.err"; fail "absolute: resume line"; }
cd catalog
vb "$TMP/x/out.jsonl" dot .
[ "$(sim_stat requests)" -eq 5 ] || fail "'.': $(sim_stat requests) requests, expected 5"
expect_lines ../out.jsonl 5

# a journal of the old ids ("./catalog/..."), resumed by this binary: nothing sent again
cd "$TMP/y"
if [ -x "$OLD_BIN" ]; then
    "$OLD_BIN" run --base-url "$SIM_URL" --progress none -o old.jsonl ./catalog 2>old.err ||
        { cat old.err; fail "old binary"; }
else
    echo "ux_stable_ids: $OLD_BIN not found: the old journal is made by renaming ids" >&2
    vb "$TMP/y/old.jsonl" old ./catalog
    python3 - old.journal <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE items SET id = './' || id")
db.execute("UPDATE attempts SET item_id = './' || item_id")
db.execute("UPDATE items SET file_size = NULL, file_mtime_ns = NULL")
db.commit()
PY
fi
grep -q '"id":"./catalog/product-000001\.' old.jsonl ||
    { [ -x "$OLD_BIN" ] || grep -q '"id":"catalog/product-000001\.' old.jsonl; } ||
    { cat old.jsonl; fail "old ids"; }
before=$(sim_stat requests)
[ "$before" -eq 8 ] || fail "old run: $before requests, expected 8"
vb "$TMP/y/old.jsonl" legacy ./catalog
[ "$(sim_stat requests)" -eq 8 ] || fail "old journal: $(sim_stat requests) requests, expected 8"
expect_lines old.jsonl 3
# a photo of that job replaced: sent again once, answered under the id the job knows it
# by, so the job still has 3 items and the output 3 lines, however often it runs
first=$(ls catalog | head -n 1)
cp "$(ls "$TMP"/x/catalog/*.* | head -n 1)" "catalog/$first"
vb "$TMP/y/old.jsonl" legacy_changed ./catalog
[ "$(sim_stat requests)" -eq 9 ] || fail "changed: $(sim_stat requests) requests, expected 9"
expect_lines old.jsonl 3
vb "$TMP/y/old.jsonl" legacy_again ./catalog
[ "$(sim_stat requests)" -eq 9 ] || fail "again: $(sim_stat requests) requests, expected 9"
expect_lines old.jsonl 3
"$VB_BIN" status old.journal >status.out 2>&1 || { cat status.out; fail "status"; }
grep -q "3 of 3 done" status.out || { cat status.out; fail "status after the change"; }
echo "ux_stable_ids: ok"
