# run_dedupe.sh - 400 items of which 200 are byte-identical copies: the server bills
# 200 images, the output has 400 lines, each copy names the item it shares the answer
# with and costs nothing; --no-dedupe sends all 400.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/in"
gen_images "$TMP/in" 200 --seed 51 --min-side 64 --max-side 200
mkdir -p "$TMP/copies"
for f in "$TMP"/in/*; do cp "$f" "$TMP/copies/copy-$(basename "$f")"; done
start_sim --latency-ms 20

"$VB_BIN" run --base-url "$SIM_URL" -c 16 -q -o "$TMP/out.jsonl" "$TMP/in" "$TMP/copies" \
    || fail "run failed"
[ "$(sim_stat images_billed)" -eq 200 ] || fail "billed $(sim_stat images_billed), not 200"
py "$TMP/out.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 400 and len({l["id"] for l in lines}) == 400
by_id = {l["id"]: l for l in lines}
copies = [l for l in lines if l.get("duplicate_of")]
assert len(copies) == 200, len(copies)
for c in copies:
    first = by_id[c["duplicate_of"]]
    assert c["cost_usd"] == 0 and c["attempts"] == 0 and c["status"] == "ok"
    assert c["response"] == first["response"] and c["content_hash"] == first["content_hash"]
PY

curl -sf -X POST "${SIM_URL%/v1}/sim/reset" >/dev/null
"$VB_BIN" run --base-url "$SIM_URL" -c 16 -q --no-dedupe --no-journal -o "$TMP/all.jsonl" \
    "$TMP/in" "$TMP/copies" || fail "--no-dedupe run failed"
[ "$(sim_stat images_billed)" -eq 400 ] || fail "--no-dedupe billed $(sim_stat images_billed)"
echo "run_dedupe: ok"
