# ux_empty_input.sh - inputs holding no image at all (an empty folder, say a mount missing
# in a cron job; a manifest without rows) are a usage error naming them, exit 2, unless
# --allow-empty (flag or config key); a resumed job whose items are all done is not empty.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/empty" "$TMP/in"
: >"$TMP/none.txt"
printf 'image,id\n' >"$TMP/none.csv"
gen_images "$TMP/in" 3 --seed 9 --min-side 64 --max-side 128
start_sim
export OPENAI_API_KEY=sk-vbtest-empty

run_vb 2 folder -o "$TMP/a.jsonl" "$TMP/empty"
grep -qx "visionbatch: no images found in $TMP/empty (--allow-empty to accept that)" \
    "$TMP/folder.err" || { cat "$TMP/folder.err"; fail "empty folder: message"; }
run_vb 2 manifests -o "$TMP/b.jsonl" "$TMP/none.txt" "$TMP/none.csv" "$TMP/empty"
grep -q "no images found in $TMP/none.txt, $TMP/none.csv, $TMP/empty" "$TMP/manifests.err" ||
    { cat "$TMP/manifests.err"; fail "empty manifests: message"; }

# --allow-empty keeps the old behaviour: images 0, exit 0; so does the config key
run_vb 0 allowed -o "$TMP/c.jsonl" --allow-empty "$TMP/empty"
grep -q "images       0 (ok 0, failed 0)" "$TMP/allowed.err" || fail "--allow-empty: summary"
printf '[visionbatch]\nallow-empty = true\n' >"$TMP/vb.ini"
run_vb 0 config -o "$TMP/d.jsonl" --config "$TMP/vb.ini" "$TMP/empty"
VISIONBATCH_ALLOW_EMPTY=1 "$VB_BIN" run --base-url "$SIM_URL" -o "$TMP/e.jsonl" "$TMP/empty" \
    2>"$TMP/env.err" || fail "VISIONBATCH_ALLOW_EMPTY=1: not accepted"

# a job whose items are all done is resumed, not empty
run_vb 0 first -o "$TMP/done.jsonl" "$TMP/in"
run_vb 0 resumed -o "$TMP/done.jsonl" "$TMP/in"
grep -q "no images found" "$TMP/resumed.err" && fail "a finished job was called empty"
[ "$(sim_stat requests)" -eq 3 ] || fail "$(sim_stat requests) requests, expected 3"
echo "ux_empty_input: ok"
