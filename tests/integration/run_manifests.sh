# run_manifests.sh - .txt and .jsonl manifests: ids, per-item prompts, meta carried
# through, URLs passed as they are, broken lines reported with their line number.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/photos"
gen_images "$TMP/photos" 4 --seed 9 --min-side 64 --max-side 200
cd "$TMP"
ls photos | sed 's|^|photos/|' >list.txt
echo "https://cdn.example.com/shoe.jpg" >>list.txt
cat >items.jsonl <<'J'
{"image":"photos/product-000001.jpg","id":"sku-1","title":"Red shoe","tags":["a","b"]}
{"image":"photos/product-000002.jpg","id":2,"prompt":"Only the color, please"}
{"image": broken
{"id":"no-image"}
J
start_sim --latency-ms 5 --record-requests "$TMP/requests.jsonl"
status=0
"$VB_BIN" run --base-url "$SIM_URL" -c 4 -o out.jsonl list.txt items.jsonl 2>err.txt || status=$?
[ "$status" -eq 1 ] || { cat err.txt; fail "exit $status, expected 1"; }
py out.jsonl requests.jsonl <<'PY'
import json, sys
out = {l["id"]: l for l in map(json.loads, open(sys.argv[1]))}
assert len(out) == 9, sorted(out)
assert out["https://cdn.example.com/shoe.jpg"]["status"] == "ok"
assert out["sku-1"]["meta"] == {"title": "Red shoe", "tags": ["a", "b"]}
assert out["sku-1"]["status"] == "ok" and out["2"]["status"] == "ok"
assert out["items.jsonl:3"]["error"]["kind"] == "bad_manifest_line"
assert "items.jsonl:4" in out["items.jsonl:4"]["error"]["message"]
reqs = [json.loads(l) for l in open(sys.argv[2])]
texts = [r["messages"][0]["content"][0]["text"] for r in reqs]
assert texts.count("Only the color, please") == 1, texts
urls = [r["messages"][0]["content"][1]["image_url"]["url"] for r in reqs]
assert "https://cdn.example.com/shoe.jpg" in urls
# sku-1 is the same file and request as photos/product-000001.jpg from list.txt: sent once
assert sum(u.startswith("data:image/") for u in urls) == 5, len(urls)
pair = (out["sku-1"].get("duplicate_of"), out["photos/product-000001.jpg"].get("duplicate_of"))
assert pair in (("photos/product-000001.jpg", None), (None, "sku-1")), pair
assert out["sku-1"]["meta"] == {"title": "Red shoe", "tags": ["a", "b"]}
PY
echo "run_manifests: ok"
