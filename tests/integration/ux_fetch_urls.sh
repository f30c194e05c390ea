# ux_fetch_urls.sh - issue 18 point 7: with --fetch-urls a URL image is downloaded by the
# client and then checked, hashed, deduplicated, cached and resized like a local file; a
# dead URL (404, timeout, body over the cap, redirect to file://, redirect loop) is one
# fetch_failed line naming the URL without its query string or credentials, and nothing
# is sent for it; `estimate --fetch-urls` counts the images at their real sizes. The
# image server is tests/integration/image_server.py on a loopback port.
source "$(dirname "$0")/lib.sh"

export OPENAI_API_KEY=sk-vbtest-fetch
export TMPDIR="$TMP/tmpdir" # the downloads' private directory goes here: it must be left empty
mkdir -p "$TMPDIR" "$TMP/img"
gen_images "$TMP/img" 2 --seed 21 --size 1600x1200 --format png
gen_images "$TMP/img" 1 --seed 22 --size 300x200 --format png --start 3 # not resized
cp "$TMP/img/product-000001.png" "$TMP/img/same-bytes.png" # a second URL, the same image

python3 "$VB_SRC/tests/integration/image_server.py" "$TMP/img" >"$TMP/server.log" &
VB_PIDS+=($!)
for i in $(seq 1 100); do
    PORT=$(head -n 1 "$TMP/server.log" 2>/dev/null || true)
    [ -n "$PORT" ] && break
    sleep 0.05
done
[ -n "$PORT" ] || fail "image_server.py did not start"
U="http://127.0.0.1:$PORT"
start_sim --record-requests "$TMP/requests.jsonl"

cat >"$TMP/urls.txt" <<EOF2
$U/img/product-000001.png
$U/go/product-000002.png?sig=SECRET-SIG
$U/img/product-000003.png
$U/img/same-bytes.png
$U/img/missing.png
$U/to-file
$U/big
$U/loop
http://user:hunter2@127.0.0.1:$PORT/slow?token=SECRET-TOKEN
EOF2

run_fetch() { # run_fetch OUT [more options]: exit status in $status
    local out=$1
    shift
    status=0
    "$VB_BIN" run --base-url "$SIM_URL" --fetch-urls --timeout 2 --max-image-bytes 1000000 \
        --max-side 512 -o "$out" "$@" "$TMP/urls.txt" 2>"$out.err" || status=$?
}

# --- the run: 3 images sent (the 4th is a copy), 5 fetch_failed lines, exit 1
run_fetch "$TMP/out.jsonl"
[ "$status" -eq 1 ] || { cat "$TMP/out.jsonl.err"; fail "run: exit $status, expected 1"; }
py "$TMP/out.jsonl" "$TMP/requests.jsonl" "$U" <<'PY'
import json, sys
lines = {l["id"]: l for l in map(json.loads, open(sys.argv[1]))}
u = sys.argv[3]
assert len(lines) == 9, sorted(lines)
ok = [i for i, l in lines.items() if l["status"] == "ok"]
assert len(ok) == 4, ok
# the copy: its bytes are product-000001's, so one of the two is a duplicate of the
# other (whichever download ended first is sent), not a request
a, b = lines[u + "/img/product-000001.png"], lines[u + "/img/same-bytes.png"]
assert a["content_hash"] == b["content_hash"], (a, b)
assert (a.get("duplicate_of") is None) != (b.get("duplicate_of") is None), (a, b)
assert a.get("duplicate_of") == b["id"] or b.get("duplicate_of") == a["id"], (a, b)
# resized like a file: 1600x1200 sent at 512x384 (the simulator says what it decoded)
for i in ok:
    size = "300x200" if "000003" in i else "512x384"
    assert "(png %s)" % size in lines[i]["response"], lines[i]["response"]
    assert lines[i]["content_hash"].startswith("sha256:"), lines[i]
failed = {i: l["error"] for i, l in lines.items() if l["status"] == "error"}
want = {
    "/img/missing.png": "HTTP 404",
    "/to-file": "redirect refused: only http and https are followed",
    "/big": "larger than --max-image-bytes (1000000 bytes)",
    "/loop": "redirect refused: more than 5 redirects",
    "/slow": "timed out after 2 s",
}
assert len(failed) == 5, failed
for i, e in failed.items():
    assert e["kind"] == "fetch_failed", (i, e)
    path = next(p for p in want if p in i)
    assert e["message"].startswith("cannot fetch " + u + path + ": " + want[path]), e
    assert "SECRET" not in e["message"] and "hunter2" not in e["message"], e
# what the simulator got: 3 requests, each carrying the image as base64, no URL
posts = [json.loads(l) for l in open(sys.argv[2])]
posts = [p for p in posts if "messages" in p]
assert len(posts) == 3, len(posts)
for p in posts:
    images = [c["image_url"]["url"] for c in p["messages"][-1]["content"]
              if c.get("type") == "image_url"]
    assert len(images) == 1 and images[0].startswith("data:image/"), images[0][:60]
PY
grep -q "fetch_failed 5" "$TMP/out.jsonl.err" || { cat "$TMP/out.jsonl.err"; fail "summary"; }
[ -z "$(ls -A "$TMPDIR")" ] || fail "downloads left behind: $(ls -R "$TMPDIR")"

# --- folders a killed run left behind are swept by the next run; a live run's are kept
sleep 0 &
dead=$!
wait "$dead"
mkdir -p "$TMPDIR/visionbatch-fetch.$dead.abcdef" "$TMPDIR/visionbatch-fetch.$$.ghijkl"
echo x >"$TMPDIR/visionbatch-fetch.$dead.abcdef/1.img"
echo x >"$TMPDIR/visionbatch-fetch.$$.ghijkl/1.img"

# --- the same command again: the journal has the job; nothing is downloaded or sent
before=$(wc -l <"$TMP/requests.jsonl")
fetched=$(wc -l <"$TMP/server.log")
run_fetch "$TMP/out.jsonl"
[ "$status" -eq 1 ] || { cat "$TMP/out.jsonl.err"; fail "rerun: exit $status"; }
[ "$(wc -l <"$TMP/requests.jsonl")" -eq "$before" ] || fail "rerun: requests sent again"
[ "$(wc -l <"$TMP/server.log")" -eq "$fetched" ] ||
    fail "rerun: finished items downloaded again: $(tail -n +$((fetched + 1)) "$TMP/server.log")"
[ "$(grep -c '"status":"ok"' "$TMP/out.jsonl")" -eq 4 ] || fail "rerun: ok lines"
[ ! -e "$TMPDIR/visionbatch-fetch.$dead.abcdef" ] || fail "a dead run's download folder stayed"
[ -e "$TMPDIR/visionbatch-fetch.$$.ghijkl/1.img" ] || fail "a live run's download folder was removed"
rm -r "$TMPDIR/visionbatch-fetch.$$.ghijkl"

# --- another job on the same journal, URLs with other names: answered from the cache
cat >"$TMP/urls.txt" <<EOF2
$U/go/product-000003.png
$U/go/same-bytes.png
EOF2
run_fetch "$TMP/out.jsonl" --new-job
[ "$status" -eq 0 ] || { cat "$TMP/out.jsonl.err"; fail "cached run: exit $status"; }
[ "$(wc -l <"$TMP/requests.jsonl")" -eq "$before" ] || fail "cached run: requests sent"
[ "$(grep -c '"cached":true' "$TMP/out.jsonl")" -eq 2 ] || { cat "$TMP/out.jsonl"; fail "cached run: not cached"; }
[ -z "$(ls -A "$TMPDIR")" ] || fail "downloads left behind by the cached run"
# its dry run now: both done, priced $0, and nothing downloaded to say so
fetched=$(wc -l <"$TMP/server.log")
"$VB_BIN" estimate --json --base-url "$SIM_URL" --fetch-urls --timeout 2 \
    --max-image-bytes 1000000 --max-side 512 -o "$TMP/out.jsonl" "$TMP/urls.txt" \
    >"$TMP/est-done.json" 2>"$TMP/est-done.err" || { cat "$TMP/est-done.err"; fail "estimate of a done job"; }
py "$TMP/est-done.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
assert e["already_done"] == 2 and e["images"] == 0, e
PY
[ "$(wc -l <"$TMP/server.log")" -eq "$fetched" ] ||
    fail "estimate downloaded finished URLs: $(tail -n +$((fetched + 1)) "$TMP/server.log")"

# --- estimate --fetch-urls: the images' real sizes, as for the files themselves
cat >"$TMP/urls.txt" <<EOF2
$U/img/product-000001.png
$U/img/product-000002.png
$U/img/product-000003.png
$U/img/missing.png
EOF2
"$VB_BIN" estimate --json --fetch-urls "$TMP/urls.txt" >"$TMP/est-url.json" 2>"$TMP/est-url.err" &&
    fail "estimate: a dead URL must make the exit status 1"
"$VB_BIN" estimate --json "$TMP/img/product-00000"[123].png >"$TMP/est-file.json" ||
    fail "estimate of the files"
"$VB_BIN" estimate --json "$TMP/urls.txt" >"$TMP/est-plain.json" 2>/dev/null || true
py "$TMP/est-url.json" "$TMP/est-file.json" "$TMP/est-plain.json" <<'PY'
import json, sys
url, file, plain = (json.load(open(p)) for p in sys.argv[1:4])
assert url["images"] == 3 and url["urls"] == 0, url
assert url["errors_by_kind"] == {"fetch_failed": 1}, url
assert url["image_tokens"] == file["image_tokens"], (url["image_tokens"], file["image_tokens"])
# without the flag a URL is 1024x1024, not what it serves
assert plain["urls"] == 4 and plain["image_tokens"] / 4 != url["image_tokens"] / 3, plain
PY
grep -q "fetch_failed: cannot fetch $U/img/missing.png: HTTP 404" "$TMP/est-url.err" ||
    { cat "$TMP/est-url.err"; fail "estimate: the dead URL is not named"; }
echo "ux_fetch_urls: ok"
