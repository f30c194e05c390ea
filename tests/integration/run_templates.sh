# run_templates.sh - {field} prompts filled per item from .csv columns and .jsonl fields
# (RFC 4180 quoting, {{ }} escapes), a missing field as one "template" error while the
# run goes on; the filled prompt is what dedupe and the result cache key on; a journal
# refuses a run with another template.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/photos"
gen_images "$TMP/photos" 4 --seed 71 --min-side 48 --max-side 160
cd "$TMP"
cp photos/product-000001.jpg photos/copy-of-1.jpg
# a2's title holds a comma, quotes and a line break; a4 has no category; a5 no image
printf '%s\r\n' 'image,id,category,title,Product Code' \
    'photos/product-000001.jpg,a1,shoes,Canvas sneaker,P-1' \
    'photos/product-000002.jpg,a2,bags,"Tote ""Weekend"", large' >items.csv
printf '%s\r\n' 'two-tone",P-2' \
    'photos/product-000003.png,a3,hats,Sun hat,P-3' \
    'photos/product-000004.jpg,a4,,Plain mug,P-4' \
    ',a5,shoes,No image,P-5' \
    'photos/copy-of-1.jpg,a6,shoes,Canvas sneaker,P-1' \
    'photos/copy-of-1.jpg,a7,shoes,Leather boot,P-7' >>items.csv
TEMPLATE='Describe this {category} product: {title} ({Product Code}, {{literal}}, id {id})'
start_sim --latency-ms 5 --record-requests "$TMP/requests.jsonl"
status=0
"$VB_BIN" run --base-url "$SIM_URL" -c 1 -q -p "$TEMPLATE" -o out.jsonl items.csv || status=$?
[ "$status" -eq 1 ] || fail "csv run: exit $status, expected 1 (two bad rows)"
py out.jsonl requests.jsonl <<'PY'
import json, sys
out = {l["id"]: l for l in map(json.loads, open(sys.argv[1]))}
# a bad row is named by its place (a2 took two lines), as in a .jsonl manifest
assert sorted(out) == ["a1", "a2", "a3", "a4", "a6", "a7", "items.csv:7"], sorted(out)
assert out["a4"]["status"] == "error" and out["a4"]["error"]["kind"] == "template", out["a4"]
assert "category" in out["a4"]["error"]["message"] and out["a4"]["attempts"] == 0
assert out["items.csv:7"]["error"]["kind"] == "bad_manifest_line"
assert '"image"' in out["items.csv:7"]["error"]["message"], out["items.csv:7"]
assert out["a2"]["meta"] == {"category": "bags", "title": 'Tote "Weekend", large\r\ntwo-tone',
                             "Product Code": "P-2"}, out["a2"]["meta"]
for k in ("a1", "a2", "a3", "a6", "a7"):
    assert out[k]["status"] == "ok", out[k]
# a6 is a1's image and fields with another id: the same filled prompt except {id}
texts = sorted(r["messages"][0]["content"][0]["text"] for r in map(json.loads, open(sys.argv[2])))
want = sorted([
    "Describe this shoes product: Canvas sneaker (P-1, {literal}, id a1)",
    'Describe this bags product: Tote "Weekend", large\r\ntwo-tone (P-2, {literal}, id a2)',
    "Describe this hats product: Sun hat (P-3, {literal}, id a3)",
    "Describe this shoes product: Canvas sneaker (P-1, {literal}, id a6)",
    "Describe this shoes product: Leather boot (P-7, {literal}, id a7)"])
assert texts == want, texts
PY
/usr/bin/python3 "$VB_SRC/tests/schema/validate_requests.py" \
    "$VB_SRC/tests/schema/create-chat-completion-request.schema.json" requests.jsonl >/dev/null \
    || fail "request bodies do not validate"

# ---- dedupe keys on the filled prompt: same image and same words are sent once --------
: >requests.jsonl
cat >same.jsonl <<'J'
{"image": "photos/product-000001.jpg", "id": "s1", "title": "Canvas sneaker"}
{"image": "photos/copy-of-1.jpg", "id": "s2", "title": "Canvas sneaker"}
{"image": "photos/copy-of-1.jpg", "id": "s3", "title": "Leather boot"}
{"image": "photos/product-000002.jpg", "id": "s4", "colour": "red"}
J
status=0
"$VB_BIN" run --base-url "$SIM_URL" -c 1 -q -p "A {title}" -o same.out --journal same.journal \
    same.jsonl 2>/dev/null || status=$?
[ "$status" -eq 1 ] || fail "jsonl run: exit $status, expected 1 (s4 has no title)"
[ "$(wc -l <requests.jsonl)" -eq 2 ] || fail "dedupe on filled prompts: $(wc -l <requests.jsonl) requests, expected 2"
py same.out <<'PY'
import json, sys
out = {l["id"]: l for l in map(json.loads, open(sys.argv[1]))}
pair = (out["s1"].get("duplicate_of"), out["s2"].get("duplicate_of"))
assert pair in ((None, "s1"), ("s2", None)) and "duplicate_of" not in out["s3"], pair
assert out["s4"]["error"]["kind"] == "template" and '"title"' in out["s4"]["error"]["message"]
PY

# ---- the result cache too: a new job where one title changed sends only that one ------
sed 's/Leather boot/Suede boot/' same.jsonl >same2.jsonl
: >requests.jsonl
"$VB_BIN" run --base-url "$SIM_URL" -c 1 -q -p "A {title}" -o same.out --journal same.journal \
    --new-job same2.jsonl 2>/dev/null || true
[ "$(wc -l <requests.jsonl)" -eq 1 ] || fail "cache on filled prompts: $(wc -l <requests.jsonl) requests, expected 1"
grep -q '"text":"A Suede boot"' requests.jsonl || fail "the changed item was not the one sent"
[ "$(grep -c '"cached":true' same.out)" -eq 2 ] || fail "s1 and s2 should come from the cache"

# ---- resume: the same template replays, another one is refused -------------------------
"$VB_BIN" run --base-url "$SIM_URL" -q -p "A {title}" -o same.out --journal same.journal \
    same2.jsonl 2>/dev/null || true
[ "$(wc -l <requests.jsonl)" -eq 1 ] || fail "resume sent requests"
status=0
"$VB_BIN" run --base-url "$SIM_URL" -q -p "The {title}" -o same.out --journal same.journal \
    same2.jsonl 2>refused.err || status=$?
[ "$status" -eq 2 ] || fail "another template: exit $status, expected 2"
grep -qF 'prompt (was "A {title}") differs' refused.err || { cat refused.err; fail "another template: reason"; }
# a spreadsheet's CSV export starts with a byte-order mark: the first column is "image"
printf '\xef\xbb\xbfimage,id,title\r\nphotos/product-000001.jpg,b1,Mug\r\n' >bom.csv
"$VB_BIN" run --base-url "$SIM_URL" -q --no-journal -p "A {title}" -o bom.out bom.csv \
    || fail "a CSV with a byte-order mark"
grep -q '"id":"b1","image":"photos/product-000001.jpg","status":"ok"' bom.out || fail "BOM CSV line"
echo "run_templates: ok"
