# ux_totals.sh - issue 18 point 6: totals add up. A copy ("duplicate_of") reports usage 0
# like its cost 0, so the output's tokens equal what the simulator billed; "per 1,000
# images" is the cost over the images this run sent and paid for (answered, and failed
# but billed: an answer that was not the JSON asked for); `export --format csv` carries
# cost_usd, duplicate_of, http_status, data and each meta field as a column.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/in"
gen_images "$TMP/in" 6 --seed 21 --min-side 40 --max-side 200
cd "$TMP"
i=0
for f in in/*; do # three copies of the first two images, under other names
    i=$((i + 1)); [ "$i" -le 2 ] || break
    cp "$f" "in/copy-a-$(basename "$f")"; cp "$f" "in/copy-b-$(basename "$f")"
done
start_sim --latency-ms 2

# ---- copies: usage 0, the tokens add up to what was billed ------------------------------
OPENAI_API_KEY=k "$VB_BIN" run --base-url "$SIM_URL" -q -c 2 -o out.jsonl in 2>run.err ||
    { cat run.err; fail "run failed"; }
py out.jsonl "$(sim_stat prompt_tokens)" "$(sim_stat completion_tokens)" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
copies = [l for l in lines if l.get("duplicate_of")]
assert len(lines) == 10 and len(copies) == 4, (len(lines), len(copies))
for c in copies:
    assert c["usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}, c
    assert c["cost_usd"] == 0
billed_in, billed_out = int(sys.argv[2]), int(sys.argv[3])
assert sum(l["usage"]["prompt_tokens"] for l in lines) == billed_in, "prompt tokens do not add up"
assert sum(l["usage"]["completion_tokens"] for l in lines) == billed_out
PY
# a journal replay of the copies says the same (the same command again: all replayed)
OPENAI_API_KEY=k "$VB_BIN" run --base-url "$SIM_URL" -q -o out.jsonl in 2>/dev/null || fail "rerun"
py out.jsonl <<'PY'
import json, sys
for l in map(json.loads, open(sys.argv[1])):
    if l.get("duplicate_of"):
        assert l["usage"]["prompt_tokens"] == 0, l
PY

# ---- per 1,000 images: over the images sent and paid for ----------------------------------
curl -sf -X POST "${SIM_URL%/v1}/sim/reset" >/dev/null
start_sim --latency-ms 2 --bad-json-rate 0.5
OPENAI_API_KEY=k "$VB_BIN" run --base-url "$SIM_URL" -q --json --json-retries 0 --no-dedupe \
    --no-journal --stats-json stats.json -o json.jsonl in 2>json.err || true
py json.jsonl stats.json <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
stats = json.load(open(sys.argv[2]))
billed_failed = [l for l in lines if l["status"] == "error" and (l["cost_usd"] or 0) > 0]
assert billed_failed, "the simulator sent no broken JSON: raise --bad-json-rate"
assert stats["failed_billed"] == len(billed_failed), stats["failed_billed"]
images = sum(1 for l in lines if l["status"] == "ok") + len(billed_failed)
want = sum(l["cost_usd"] or 0 for l in lines) * 1000 / images
got = stats["cost_per_1000_images_usd"]
assert abs(got - want) < 1e-9 * max(1, want), (got, want)
PY

# ---- export --format csv ------------------------------------------------------------------
{
    echo 'image,id,title,category'
    n=0
    for f in in/*; do n=$((n + 1)); echo "$f,item-$n,\"Title, $n\",cat$((n % 2))"; done
} >items.csv
OPENAI_API_KEY=k "$VB_BIN" run --base-url "$SIM_URL" -q --json --json-retries 3 -o m.jsonl items.csv \
    2>m.err || { cat m.err; fail "manifest run failed"; }
"$VB_BIN" export --format csv m.journal -o m.csv 2>/dev/null || fail "export failed"
py m.csv m.jsonl <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
lines = {l["id"]: l for l in map(json.loads, open(sys.argv[2]))}
assert len(rows) == len(lines) == 10, len(rows)
for c in ("cost_usd", "duplicate_of", "http_status", "data", "meta.title", "meta.category"):
    assert c in rows[0], (c, list(rows[0]))
assert "meta" not in rows[0]
for r in rows:
    l = lines[r["id"]]
    assert r["meta.title"] == l["meta"]["title"] and r["meta.title"].startswith("Title, ")
    assert float(r["cost_usd"]) == l["cost_usd"], (r["cost_usd"], l["cost_usd"])
    assert r["duplicate_of"] == (l.get("duplicate_of") or "")
    if l["status"] == "ok":
        assert json.loads(r["data"]) == l["data"], (r["data"], l["data"])
assert sum(1 for r in rows if r["duplicate_of"]) == 4
PY
echo "ux_totals: ok"
