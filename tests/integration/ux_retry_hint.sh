# ux_retry_hint.sh - after a run with failures, the summary on stderr ends with how to
# send them again; a run without failures does not say it.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/in"
gen_images "$TMP/in" 4 --seed 11 --min-side 64 --max-side 128
printf 'not an image at all' >"$TMP/in/text-named.jpg"
: >"$TMP/in/zero.png"
start_sim
export OPENAI_API_KEY=sk-vbtest-hint

status=0
"$VB_BIN" run --base-url "$SIM_URL" -o "$TMP/out.jsonl" "$TMP/in" 2>"$TMP/err.txt" || status=$?
[ "$status" -eq 1 ] || { cat "$TMP/err.txt"; fail "exit $status, expected 1"; }
[ "$(tail -n 1 "$TMP/err.txt")" = "2 items failed: fix the cause and run the same command with --retry-failed to send them again" ] ||
    { cat "$TMP/err.txt"; fail "the last line does not say how to retry"; }

rm "$TMP/in/text-named.jpg" "$TMP/in/zero.png"
"$VB_BIN" run --base-url "$SIM_URL" -o "$TMP/ok.jsonl" "$TMP/in" 2>"$TMP/ok.txt" ||
    fail "a clean run failed"
grep -q "retry-failed" "$TMP/ok.txt" && fail "a clean run spoke of failures"
echo "ux_retry_hint: ok"
