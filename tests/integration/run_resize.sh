# run_resize.sh - downscaling before upload: `--resize auto` bills the same image tokens
# as sending the original while uploading a fraction of the bytes; `--max-side N` bills
# what the formula predicts for the fitted size; Gemini and `--resize off` send the
# file untouched. Bytes and sizes come from the simulator's --record-requests file, the
# billing from its /sim/stats (docs/provider-facts.md §2).
source "$(dirname "$0")/lib.sh"

N=4
help=$("$VB_BIN" run --help 2>&1 || true)
[[ $help == *--resize* && $help == *--max-side* ]] || fail "visionbatch run has no --resize/--max-side"

# big_images DIR COUNT FORMAT SEED: COUNT 4000x3000 product images. vb-sample-images
# --size when it has it; otherwise 3000x3000 ones stretched by the vips command.
big_images() {
    local dir=$1 n=$2 fmt=$3 seed=$4 help f
    help=$("$VB_GEN" --help 2>&1 || true)
    if [[ $help == *--size* ]]; then
        gen_images "$dir" "$n" --seed "$seed" --size 4000x3000 --format "$fmt"
        return
    fi
    command -v vips >/dev/null || fail "need vb-sample-images --size or the vips command"
    gen_images "$TMP/square-$seed" "$n" --seed "$seed" --min-side 3000 --max-side 3000 \
        --format "$fmt"
    mkdir -p "$dir"
    for f in "$TMP/square-$seed"/*; do
        if [ "$fmt" = jpeg ]; then
            vips resize "$f" "$dir/$(basename "$f")[Q=85]" 1.3333334 --vscale 1
        else
            vips resize "$f" "$dir/$(basename "$f")" 1.3333334 --vscale 1
        fi
    done
}

# uploads RECORD [MIME W H]: prints "REQUESTS IMAGE_BYTES" for the recorded bodies (the
# decoded bytes of every data URL); with MIME W H, also checks that every image sent has
# that type and size (read from its JPEG SOF or PNG IHDR).
uploads() {
    py "$@" <<'PY'
import base64, json, struct, sys

def size(data):
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return struct.unpack(">II", data[16:24])
    assert data[:2] == b"\xff\xd8", "neither PNG nor JPEG"
    i = 2
    while i + 9 < len(data):
        assert data[i] == 0xFF, "bad JPEG marker"
        marker, seglen = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + seglen
    raise AssertionError("no JPEG SOF")

want = sys.argv[2:]
requests = total = 0
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    requests += 1
    for part in json.loads(line)["messages"][0]["content"]:
        if part.get("type") != "image_url":
            continue
        url = part["image_url"]["url"]
        head, b64 = url.split(",", 1)
        data = base64.b64decode(b64)
        total += len(data)
        if want:
            mime = head[len("data:"):].split(";")[0]
            got = (mime, *size(data))
            assert got == (want[0], int(want[1]), int(want[2])), (got, want)
print(requests, total)
PY
}

# send TAG [client options...]: one run over $IN against a fresh simulator recording to
# $TMP/TAG.jsonl; sets TOKENS, BILLED, REQS, BYTES (image bytes uploaded).
send() {
    local tag=$1 status=0
    shift
    start_sim --record-requests "$TMP/$tag.jsonl"
    "$VB_BIN" run --base-url "$SIM_URL" --no-journal -c 4 -p "Describe the product" \
        -o "$TMP/$tag.out.jsonl" "$@" "$IN" 2>"$TMP/$tag.err" || status=$?
    [ "$status" -eq 0 ] || { cat "$TMP/$tag.err"; fail "$tag: exit status $status"; }
    TOKENS=$(sim_stat image_tokens)
    BILLED=$(sim_stat images_billed)
    local counts
    counts=$(uploads "$TMP/$tag.jsonl") || fail "$tag: unreadable recording"
    read -r REQS BYTES <<<"$counts"
    if [ "$BILLED" -ne "$N" ] || [ "$REQS" -ne "$N" ]; then
        fail "$tag: $REQS requests, $BILLED images billed, expected $N"
    fi
}

# same_hashes TAG: every result names the SHA-256 of the original file (the content hash
# and the cache key stay those of the file whatever is uploaded).
same_hashes() {
    py "$TMP/$1.out.jsonl" <<'PY'
import hashlib, json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
for l in lines:
    assert l["status"] == "ok", l
    digest = hashlib.sha256(open(l["image"], "rb").read()).hexdigest()
    assert l["content_hash"] == "sha256:" + digest, (l["image"], l["content_hash"])
PY
}

IN="$TMP/in"
big_images "$IN" "$N" jpeg 21
ORIG=$(cat "$IN"/* | wc -c)

# --- OpenAI tiles (gpt-4o, high): 4000x3000 -> 2048x1536 -> 1024x768, 4 tiles ------------
send tile-off -m gpt-4o --detail high
off_tokens=$TOKENS off_bytes=$BYTES
[ "$off_bytes" -eq "$ORIG" ] || fail "without --resize the files must go untouched ($off_bytes != $ORIG)"
[ "$off_tokens" -eq $((N * (85 + 170 * 4))) ] || fail "gpt-4o original: $off_tokens image tokens"
uploads "$TMP/tile-off.jsonl" image/jpeg 4000 3000 >/dev/null ||
    fail "tile-off: images sent are not all image/jpeg 4000x3000"

send tile-auto -m gpt-4o --detail high --resize auto
[ "$TOKENS" -eq "$off_tokens" ] || fail "gpt-4o --resize auto billed $TOKENS image tokens, not $off_tokens"
[ $((BYTES * 5)) -le "$off_bytes" ] ||
    fail "gpt-4o --resize auto uploaded $BYTES bytes of images, not 5x less than $off_bytes"
uploads "$TMP/tile-auto.jsonl" image/jpeg 1024 768 >/dev/null ||
    fail "tile-auto: images sent are not all image/jpeg 1024x768"
same_hashes tile-auto
/usr/bin/python3 "$VB_SRC/tests/schema/validate_requests.py" \
    "$VB_SRC/tests/schema/create-chat-completion-request.schema.json" "$TMP/tile-auto.jsonl"
echo "gpt-4o high: $off_bytes -> $BYTES image bytes ($((off_bytes / BYTES))x less), $TOKENS image tokens both"

# --resize off is the same as no flag: the files as they are.
send tile-offflag -m gpt-4o --detail high --resize off
if [ "$BYTES" -ne "$ORIG" ] || [ "$TOKENS" -ne "$off_tokens" ]; then
    fail "--resize off changed the upload ($BYTES bytes, $TOKENS image tokens)"
fi

# --- --max-side 512: 4000x3000 -> 512x384, billed as 85 + 170 * 1 tile ---------------------
send tile-max -m gpt-4o --detail high --max-side 512
[ "$TOKENS" -eq $((N * (85 + 170 * 1))) ] ||
    fail "--max-side 512 billed $TOKENS image tokens, expected $((N * 255)) (512x384, 1 tile)"
uploads "$TMP/tile-max.jsonl" image/jpeg 512 384 >/dev/null ||
    fail "tile-max: images sent are not all image/jpeg 512x384"
same_hashes tile-max

# --- OpenAI patches (gpt-4.1-mini): 4000x3000 -> 1408x1056, 44 x 33 patches -----------------
send patch-off -m gpt-4.1-mini
off_tokens=$TOKENS off_bytes=$BYTES
send patch-auto -m gpt-4.1-mini --resize auto
[ "$TOKENS" -eq "$off_tokens" ] || fail "gpt-4.1-mini --resize auto billed $TOKENS, not $off_tokens"
[ "$BYTES" -lt "$off_bytes" ] || fail "gpt-4.1-mini --resize auto uploaded $BYTES >= $off_bytes bytes"
uploads "$TMP/patch-auto.jsonl" image/jpeg 1408 1056 >/dev/null ||
    fail "patch-auto: images sent are not all image/jpeg 1408x1056"
echo "gpt-4.1-mini: $off_bytes -> $BYTES image bytes, $TOKENS image tokens both"

# --- Anthropic (claude-sonnet-4-5): 4000x3000 -> 1270x952, 46 x 34 patches of 28 px -----------
send claude-off -m claude-sonnet-4-5
off_tokens=$TOKENS off_bytes=$BYTES
send claude-auto -m claude-sonnet-4-5 --resize auto
[ "$TOKENS" -eq "$off_tokens" ] || fail "claude --resize auto billed $TOKENS, not $off_tokens"
[ "$BYTES" -lt "$off_bytes" ] || fail "claude --resize auto uploaded $BYTES >= $off_bytes bytes"
uploads "$TMP/claude-auto.jsonl" image/jpeg 1270 952 >/dev/null ||
    fail "claude-auto: images sent are not all image/jpeg 1270x952"
echo "claude-sonnet-4-5: $off_bytes -> $BYTES image bytes, $TOKENS image tokens both"

# --- Gemini: tiling undocumented, so auto leaves the image alone ----------------------------
send gemini-auto -m gemini-2.5-flash --resize auto
[ "$BYTES" -eq "$ORIG" ] || fail "gemini --resize auto changed the upload ($BYTES != $ORIG)"

# --- a PNG stays PNG --------------------------------------------------------------------------
IN="$TMP/in-png"
N=1
big_images "$IN" 1 png 22
send png-auto -m gpt-4o --resize auto
[ "$TOKENS" -eq $((85 + 170 * 4)) ] || fail "PNG --resize auto billed $TOKENS image tokens"
uploads "$TMP/png-auto.jsonl" image/png 1024 768 >/dev/null ||
    fail "png-auto: images sent are not all image/png 1024x768"
same_hashes png-auto

# --- a JPEG damaged inside its compressed data, among sound ones ----------------------------
# With --resize the downscale decodes every compressed byte strictly and is the decode
# check (the image is not decoded twice): the damaged file is one corrupt_image error,
# never sent; the others go resized. --no-decode-check trusts it and sends it.
IN="$TMP/in-damaged"
mkdir -p "$IN"
cp "$TMP"/in/*.jpg "$IN/" 2>/dev/null || cp "$TMP"/in/* "$IN/"
damage_jpeg_scan "$(ls "$IN"/* | head -1)" "$IN/zz-damaged.jpg"
sound=$(($(ls "$IN" | wc -l) - 1))
for check in strict trusting; do
    opts=()
    [ "$check" = trusting ] && opts=(--no-decode-check)
    start_sim --record-requests "$TMP/damaged-$check.jsonl"
    status=0
    "$VB_BIN" run --base-url "$SIM_URL" --no-journal -q -c 4 -m gpt-4o --resize auto \
        "${opts[@]}" -o "$TMP/damaged-$check.out.jsonl" "$IN" 2>"$TMP/damaged-$check.err" ||
        status=$?
    read -r reqs _ <<<"$(uploads "$TMP/damaged-$check.jsonl")"
    if [ "$check" = strict ]; then
        [ "$status" -eq 1 ] || fail "damaged JPEG with --resize: exit $status, expected 1"
        [ "$reqs" -eq "$sound" ] || fail "damaged JPEG with --resize: $reqs requests, expected $sound"
        py "$TMP/damaged-$check.out.jsonl" <<'PY'
import json, sys
lines = {l["image"].rsplit("/", 1)[1]: l for l in map(json.loads, open(sys.argv[1]))}
bad = lines.pop("zz-damaged.jpg")
assert bad["status"] == "error" and bad["error"]["kind"] == "corrupt_image", bad
assert bad["attempts"] == 0 and "does not decode" in bad["error"]["message"], bad
assert all(l["status"] == "ok" for l in lines.values()), lines
PY
    else
        [ "$status" -eq 0 ] || fail "damaged JPEG, --no-decode-check: exit $status"
        [ "$reqs" -eq $((sound + 1)) ] || fail "--no-decode-check: $reqs requests, expected $((sound + 1))"
    fi
done
echo "damaged JPEG with --resize auto: corrupt_image, $sound sound images sent"

echo "run_resize: ok"
