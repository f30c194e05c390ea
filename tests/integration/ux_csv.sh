# ux_csv.sh - a CSV manifest as catalogs export them: without an "image" column it is one
# usage error listing the columns (exit 2, nothing sent), not an error per row;
# --image-column / --id-column (flags or config keys) map the columns; ';' and tab
# separated files are detected, or the delimiter is given with --csv-delimiter; the
# other columns stay meta and fill the prompt template; estimate reads them the same way.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/photos"
gen_images "$TMP/photos" 3 --seed 18 --min-side 64 --max-side 160
cd "$TMP"
printf 'sku,url,title\nA1,photos/product-000001.jpg,Red shoe\nA2,photos/product-000002.jpg,Blue hat\nA3,photos/product-000003.jpg,"Bag, green"\n' >products.csv
# an Excel export: byte-order mark, ';' separators, CRLF line ends
printf '\xef\xbb\xbfsku;url;title\r\nB1;photos/product-000001.jpg;Red; shoe\r\n' |
    sed 's/Red; shoe/"Red; shoe"/' >excel.csv
start_sim --latency-ms 2 --record-requests "$TMP/requests.jsonl"
export OPENAI_API_KEY=sk-vbtest-csv

# no image column: one usage error naming the columns, before anything is sent
run_vb 2 nocol -o none.jsonl products.csv
grep -qF "products.csv has no image column (columns: sku, url, title); name it with --image-column NAME" \
    nocol.err || { cat nocol.err; fail "no image column: message"; }
[ "$(grep -c . nocol.err)" -eq 1 ] || { cat nocol.err; fail "no image column: more than one line"; }
[ ! -s none.jsonl ] || fail "no image column: results were written"
run_vb 2 excel_nocol -o none.jsonl excel.csv # the ';' columns are listed split
grep -qF "excel.csv has no image column (columns: sku, url, title)" excel_nocol.err ||
    { cat excel_nocol.err; fail "';' header: columns not split"; }
[ "$(sim_stat requests)" -eq 0 ] || fail "$(sim_stat requests) requests sent for refused manifests"

# mapped with flags: ids from sku, the image from url, title stays meta and fills {title}
run_vb 0 mapped -o mapped.jsonl --image-column url --id-column sku -p 'Describe the {title} ({id})' \
    products.csv
# mapped with config keys, on the ';' export (detected)
printf '[visionbatch]\nimage-column = url\nid-column = sku\n' >vb.ini
run_vb 0 excel -o excel.jsonl --config vb.ini -p 'Describe the {title}' excel.csv
py mapped.jsonl excel.jsonl requests.jsonl <<'PY'
import json, sys
mapped = {l["id"]: l for l in map(json.loads, open(sys.argv[1]))}
assert sorted(mapped) == ["A1", "A2", "A3"], sorted(mapped)
assert all(l["status"] == "ok" for l in mapped.values()), mapped
assert mapped["A3"]["meta"] == {"title": "Bag, green"}, mapped["A3"]
assert mapped["A1"]["image"] == "photos/product-000001.jpg", mapped["A1"]
excel = [json.loads(l) for l in open(sys.argv[2])]
assert [l["id"] for l in excel] == ["B1"], excel
assert excel[0]["meta"] == {"title": "Red; shoe"} and excel[0]["status"] == "ok", excel[0]
texts = sorted(r["messages"][0]["content"][0]["text"] for r in map(json.loads, open(sys.argv[3])))
assert "Describe the Bag, green (A3)" in texts, texts
PY

# a delimiter the header does not show: "sku;url;size,cm,mm" ties ';' and ',' (a tie is
# ','), so the columns are only right with --csv-delimiter ';'
printf 'sku;url;size,cm,mm\nC1;photos/product-000002.jpg;12,5\n' >sizes.csv
run_vb 2 tie -o sizes.jsonl --image-column url sizes.csv
grep -qF "sizes.csv has no column url for --image-column (columns: sku;url;size, cm, mm)" tie.err ||
    { cat tie.err; fail "tie: message"; }
run_vb 0 given -o sizes.jsonl --image-column url --id-column sku --csv-delimiter ';' sizes.csv
grep -q '"id":"C1".*"meta":{"size,cm,mm":"12,5"}' sizes.jsonl || { cat sizes.jsonl; fail "--csv-delimiter ';'"; }
printf 'sku\turl\nD1\tphotos/product-000003.jpg\n' >tabs.csv
run_vb 0 tabs -o tabs.jsonl --image-column url --id-column sku --csv-delimiter tab tabs.csv
grep -q '"id":"D1"' tabs.jsonl || { cat tabs.jsonl; fail "--csv-delimiter tab"; }
run_vb 2 baddelim -o x.jsonl --csv-delimiter '|' products.csv
grep -q "csv-delimiter must be" baddelim.err || { cat baddelim.err; fail "--csv-delimiter |"; }

# estimate reads the manifest the same way
status=0
"$VB_BIN" estimate --json products.csv >est0.json 2>est0.err || status=$?
[ "$status" -eq 2 ] && grep -qF "has no image column" est0.err ||
    { cat est0.err; fail "estimate without a mapping: exit $status"; }
"$VB_BIN" estimate --json --image-column url products.csv >est.json 2>est.err ||
    { cat est.err; fail "estimate --image-column"; }
py est.json <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
assert e["images"] == 3 and e["errors"] == 0, e
PY
# a distributed job's publisher reads the manifest the same way (the items in Redis have
# the sku ids)
if command -v redis-server >/dev/null; then
    start_redis
    run_vb 2 redis_nocol --redis "$REDIS_URL" --job csv products.csv
    grep -qF "products.csv has no image column" redis_nocol.err || { cat redis_nocol.err; fail "--redis: message"; }
    run_vb 0 redis --redis "$REDIS_URL" --job csv --image-column url --id-column sku products.csv
    [ "$(rcli smembers vb:job:csv:ids | sort | tr '\n' ' ')" = "A1 A2 A3 " ] ||
        fail "--redis: ids $(rcli smembers vb:job:csv:ids)"
else
    echo "ux_csv: redis-server not installed: the --redis part is skipped" >&2
fi
echo "ux_csv: ok"
