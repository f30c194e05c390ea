# bad_inputs.sh - one batch mixing good images with 40+ kinds of bad input (made at
# test time by bad_corpus.py): each bad item gets its one specific error kind, every
# good item is answered, and the simulator never receives an invalid image. A second
# run with --convert sends the convertible ones as PNG/JPEG.
source "$(dirname "$0")/lib.sh"
command -v vips >/dev/null || fail "the vips CLI (libvips-tools) is needed to make the corpus"

mkdir -p "$TMP/seed" "$TMP/good"
gen_images "$TMP/seed" 1 --seed 41 --min-side 64 --max-side 160 --format jpeg
gen_images "$TMP/seed" 1 --seed 41 --min-side 64 --max-side 160 --format png --start 2
gen_images "$TMP/good" 20 --seed 42 --min-side 64 --max-side 400
python3 "$VB_SRC/tests/integration/bad_corpus.py" "$TMP/c" "$TMP/seed/product-000001.jpg" \
    "$TMP/seed/product-000002.png"

start_sim --latency-ms 5 --record-requests "$TMP/requests.jsonl"
cd "$TMP/c"
# Tests run as root, which reads any file: the run drops the capabilities that let root
# ignore file modes, so files/noperm.jpg (mode 000) is unreadable as for any user.
status=0
setpriv --inh-caps=-dac_override,-dac_read_search \
    --bounding-set=-dac_override,-dac_read_search \
    "$VB_BIN" run --base-url "$SIM_URL" -c 4 -m gpt-4o --max-image-bytes 2000000 --no-dedupe \
    -o "$TMP/out.jsonl" "$TMP/good" list.txt items.jsonl 2>"$TMP/err.txt" || status=$?
[ "$status" -eq 1 ] || { cat "$TMP/err.txt"; fail "exit $status, expected 1"; }

py "$TMP/out.jsonl" expect.json "$TMP/requests.jsonl" <<'PY'
import base64, collections, hashlib, json, subprocess, sys
raw = open(sys.argv[1], "rb").read().decode("utf-8")  # strict: every line valid UTF-8 JSON
lines = [json.loads(l) for l in raw.splitlines()]
exp = json.load(open(sys.argv[2]))
by_id = collections.defaultdict(list)
for l in lines:
    by_id[l["id"]].append(l)
assert all(len(v) == 1 for v in by_id.values()), [k for k, v in by_id.items() if len(v) > 1]
wrong = {}
for ident, kind in exp["errors"].items():
    got = by_id.get(ident)
    if not got:
        wrong[ident] = "missing"
        continue
    l = got[0]
    if l["status"] != "error" or l["error"]["kind"] != kind:
        wrong[ident] = (l["status"], (l["error"] or {}).get("kind"), kind)
    elif l["attempts"] != 0 or not l["error"]["message"]:
        wrong[ident] = "sent or no message"
assert not wrong, json.dumps(wrong, indent=1, ensure_ascii=False)
good = [l for l in lines if l["id"] not in exp["errors"]]
assert all(l["status"] == "ok" for l in good), [(l["id"], l["error"]) for l in good if l["status"] != "ok"]
for ident in exp["ok"]:
    assert by_id[ident][0]["status"] == "ok", ident
assert len(good) == 20 + len(exp["ok"]), len(good)
# manifest errors name their line
assert "items.jsonl:2" in by_id["items.jsonl:2"][0]["error"]["message"]
# what was sent: a PNG named .jpg went as image/png, a JPEG named .png as image/jpeg,
# the CMYK JPEG as 3-band sRGB, the 16-bit PNG as 8-bit, the rotated JPEG upright
reqs = [json.loads(l) for l in open(sys.argv[3])]
mimes = collections.Counter(r["messages"][0]["content"][1]["image_url"]["url"].split(";")[0] for r in reqs)
print("sent:", dict(mimes))
def sent(item_id):
    """The image bytes sent for an item: the simulator's answer names their SHA-256."""
    answer = by_id[item_id][0]["response"]
    for r in reqs:
        data = base64.b64decode(r["messages"][0]["content"][1]["image_url"]["url"].split(",", 1)[1])
        if hashlib.sha256(data).hexdigest() in answer:
            return r["messages"][0]["content"][1]["image_url"]["url"].split(";")[0][5:], data
    raise AssertionError(f"no request carries {item_id}")
def header(data, field):
    open("probe.img", "wb").write(data)
    return subprocess.run(["vipsheader", "-f", field, "probe.img"], capture_output=True, text=True, check=True).stdout.strip()
assert sent("files/png-named.jpg")[0] == "image/png"
assert sent("files/jpeg-named.png")[0] == "image/jpeg"
assert header(open("files/cmyk.jpg", "rb").read(), "bands") == "4"  # the corpus is what it says
assert "USHORT" in header(open("files/deep16.png", "rb").read(), "format")
mime, data = sent("files/cmyk.jpg")
assert mime == "image/jpeg" and header(data, "bands") == "3" and "sRGB" in header(data, "interpretation")
mime, data = sent("files/deep16.png")
assert mime == "image/png" and "UCHAR" in header(data, "format"), header(data, "format")
mime, data = sent("files/rotated.jpg")  # EXIF 6: stored 160 x h, sent h x 160 upright
src = open("files/rotated.jpg", "rb").read()
assert (header(data, "width"), header(data, "height")) == (header(src, "height"), header(src, "width")), (header(data, "width"), header(data, "height"), header(src, "width"), header(src, "height"))

bad = len(exp["errors"])
print(f"bad inputs: {bad} kinds asserted, good items ok: {len(good)}")
assert bad >= 30, bad
PY

# the simulator saw only the good images, and refused none of them
ngood=$(python3 -c 'import json,sys; e=json.load(open("expect.json")); print(20 + len(e["ok"]))')
[ "$(sim_stat requests)" -eq "$ngood" ] || fail "simulator got $(sim_stat requests) requests, expected $ngood"
[ "$(sim_stat responses.200)" -eq "$ngood" ] || fail "not every request was accepted"
[ "$(sim_stat responses.400)" -eq 0 ] || fail "the simulator refused $(sim_stat responses.400) requests"
[ "$(sim_stat invalid_images)" -eq 0 ] || fail "the simulator received $(sim_stat invalid_images) invalid images"
echo "simulator: $(sim_stat requests) requests, $(sim_stat invalid_images) invalid images"
# the journal kept one row per item: the first sku-1 is still ok, its duplicate failed
"$VB_BIN" export "$TMP/out.journal" >"$TMP/export.jsonl"
py "$TMP/export.jsonl" "$TMP/out.jsonl" <<'PY'
import json, sys
exp = {l["id"]: l for l in map(json.loads, open(sys.argv[1], encoding="utf-8"))}
out = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert len(exp) == len(out), (len(exp), len(out))
assert exp["sku-1"]["status"] == "ok" and exp["items.jsonl:4"]["error"]["kind"] == "duplicate_id"
PY

# estimate reports the file-level kinds a run gives
"$VB_BIN" estimate --json list.txt >"$TMP/estimate.json" 2>"$TMP/estimate.err" || true
py "$TMP/estimate.json" <<'PY'
import json, sys
k = json.load(open(sys.argv[1]))["errors_by_kind"]
for kind in ("not_found", "dangling_link", "link_loop", "not_a_file", "too_many_pixels",
             "empty_file", "corrupt_image", "unsupported_format", "unsupported_url"):
    assert k.get(kind), (kind, k)
PY

# --convert: BMP, TIFF, HEIC, AVIF and the animated GIF are sent converted (and only
# those: JPEG XL, JPEG 2000 and SVG stay unsupported_format)
python3 -c 'import json; print("\n".join(json.load(open("expect.json"))["convert"]))' >convert.txt
echo files/photo.jxl >>convert.txt
before=$(sim_stat requests)
status=0
"$VB_BIN" run --base-url "$SIM_URL" --convert --no-journal -o "$TMP/conv.jsonl" convert.txt \
    2>"$TMP/conv.err" || status=$?
[ "$status" -eq 1 ] || { cat "$TMP/conv.err"; fail "--convert: exit $status, expected 1 (jxl)"; }
py "$TMP/conv.jsonl" expect.json "$TMP/requests.jsonl" "$before" <<'PY'
import json, sys
lines = {l["id"]: l for l in map(json.loads, open(sys.argv[1]))}
exp = json.load(open(sys.argv[2]))["convert"]
reqs = [json.loads(l) for l in open(sys.argv[3])][int(sys.argv[4]):]
for ident in exp:
    assert lines[ident]["status"] == "ok", (ident, lines[ident]["error"])
assert lines["files/photo.jxl"]["error"]["kind"] == "unsupported_format"
mimes = sorted(r["messages"][0]["content"][1]["image_url"]["url"].split(";")[0][5:] for r in reqs)
assert mimes == sorted(exp.values()), (mimes, exp)
print(f"--convert: {len(exp)} converted ({', '.join(sorted(exp))})")
PY
[ "$(sim_stat invalid_images)" -eq 0 ] || fail "--convert: the simulator received an invalid image"

# --no-decode-check trusts the pixels: damage inside the compressed data (markers intact)
# then reaches the server, which refuses it; a truncated file is still caught here
printf 'files/scan-garbage.jpg\nfiles/trunc.jpg\n' >nodecode.txt
status=0
"$VB_BIN" run --base-url "$SIM_URL" --no-decode-check --no-journal -o "$TMP/nd.jsonl" \
    nodecode.txt 2>/dev/null || status=$?
[ "$status" -eq 1 ] || fail "--no-decode-check: exit $status, expected 1"
py "$TMP/nd.jsonl" <<'PY'
import json, sys
lines = {l["id"]: l for l in map(json.loads, open(sys.argv[1]))}
assert lines["files/trunc.jpg"]["error"]["kind"] == "corrupt_image", lines
assert lines["files/trunc.jpg"]["attempts"] == 0, lines
assert lines["files/scan-garbage.jpg"]["attempts"] == 1, lines  # sent, refused there
assert lines["files/scan-garbage.jpg"]["error"]["kind"] == "invalid_request", lines
PY
[ "$(sim_stat invalid_images)" -eq 1 ] || fail "--no-decode-check: the damaged JPEG was not sent"
echo "bad_inputs: ok"
