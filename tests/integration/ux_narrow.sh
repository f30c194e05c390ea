# ux_narrow.sh - issue 18 point 11, narrow terminals: the progress bar is drawn in 80 and
# in 40 columns (the fields that tell least give way to it; count, percent and the last
# word stay), never wider than the terminal; without a terminal, --progress bar takes the
# width from $COLUMNS; and every line of a paced run's summary ("limited by" included)
# fits 80 columns.
source "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || fail "tmux is not installed (scripts/install-deps.sh)"

SOCK="vbnarrow$$"
tmux_cleanup() {
    tmux -L "$SOCK" kill-server 2>/dev/null || true
    vb_cleanup
}
trap tmux_cleanup EXIT
export OPENAI_API_KEY=sk-vbtest-narrow

gen_images "$TMP/in" 24 --seed 5 --min-side 64 --max-side 200
start_sim --latency-ms 300

# in_tmux COLS: a run in a COLS-wide tmux pane; every frame's progress lines in
# $TMP/frames.COLS, the finished pane in $TMP/final.COLS
in_tmux() {
    local cols=$1
    cat >"$TMP/run$cols.sh" <<SH
"$VB_BIN" run --base-url "$SIM_URL" -c 2 --no-journal -o "$TMP/tty$cols.jsonl" "$TMP/in"
echo \$? >"$TMP/tty$cols.rc"
sleep 600
SH
    tmux -L "$SOCK" -f /dev/null new-session -d -s "w$cols" -x "$cols" -y 30 "bash $TMP/run$cols.sh"
    : >"$TMP/frames.$cols"
    for _ in $(seq 1 600); do
        tmux -L "$SOCK" capture-pane -t "w$cols" -p >"$TMP/frame" 2>/dev/null || true
        grep '/24 ' "$TMP/frame" >>"$TMP/frames.$cols" || true
        [ -s "$TMP/tty$cols.rc" ] && break
        sleep 0.1
    done
    [ "$(cat "$TMP/tty$cols.rc" 2>/dev/null)" = 0 ] || fail "the run in $cols columns failed"
    tmux -L "$SOCK" capture-pane -t "w$cols" -p >"$TMP/final.$cols"
}

for cols in 80 40; do
    in_tmux "$cols"
    frames="$TMP/frames.$cols"
    # mid-run: the bar, then the count and percent, at several counts
    mid=$({ grep -v '24/24' "$frames" || true; } | { grep -E '^\[#*-+\] [0-9]+/24 +[0-9]+%' || true; } |
        sort -u | wc -l)
    [ "$mid" -ge 2 ] || { cat "$frames" >&2; fail "$cols columns: no bar seen mid-run"; }
    # never wider than the terminal (a wrapped line would show as a cut one)
    while IFS= read -r l; do
        [ "${#l}" -lt "$cols" ] || fail "$cols columns: a ${#l}-column line: $l"
    done <"$frames"
    bar=$(grep '24/24' "$TMP/final.$cols" || true)
    [ "$(grep -c '24/24' "$TMP/final.$cols" || true)" -eq 1 ] || { cat "$TMP/final.$cols" >&2; fail "$cols columns: not one final bar"; }
    grep -Eq '^\[#+\] 24/24 100%.* \(done\)$' <<<"$bar" ||
        { cat "$TMP/final.$cols" >&2; fail "$cols columns: the final bar: $bar"; }
    [ "${#bar}" -lt "$cols" ] || fail "$cols columns: the final bar is ${#bar} wide"
    echo "$cols columns: $bar"
done
# 80 columns keep more than the essentials: the rate and the failures
grep -Eq 'img/s .*fail 0' <<<"$(grep '24/24' "$TMP/final.80")" || fail "80 columns: fields lost"

# --- no terminal: --progress bar sized by $COLUMNS ----------------------------------------
COLUMNS=40 "$VB_BIN" run --base-url "$SIM_URL" -c 2 --no-journal --progress bar \
    -o "$TMP/cols.jsonl" "$TMP/in" 2>"$TMP/cols.err"
py "$TMP/cols.err" <<'PY'
import re, sys
text = open(sys.argv[1]).read().split("visionbatch summary")[0]
frames = [f for f in re.split(r"[\r\n]", text.replace("\x1b[K", "")) if f.strip()]
assert len(frames) >= 2, frames
for f in frames:
    assert len(f) <= 39, (len(f), f)
assert re.match(r"^\[#+\] 24/24 100%.* \(done\)$", frames[-1]), frames[-1]
PY

# --- the summary of a paced run fits 80 columns -------------------------------------------
kill "$SIM_PID"
wait "$SIM_PID" 2>/dev/null || true
start_sim --latency-ms 20 --rpm 600 --burst-s 0.1
"$VB_BIN" run --base-url "$SIM_URL" -c 4 --rpm 600 --no-journal --progress none \
    -o "$TMP/paced.jsonl" "$TMP/in" 2>"$TMP/paced.err" || { cat "$TMP/paced.err"; fail "paced run"; }
sed -n '/^visionbatch summary$/,$p' "$TMP/paced.err" >"$TMP/summary"
cat "$TMP/summary"
grep -q '^  limited by   the rate limit' "$TMP/summary" || fail "no 'limited by' verdict"
grep -q '^               .*image preparation [0-9.]* s)$' "$TMP/summary" ||
    fail "the 'limited by' figures are not on an indented second line"
while IFS= read -r l; do
    [ "${#l}" -le 80 ] || fail "a ${#l}-column summary line: $l"
done <"$TMP/summary"
echo "ux_narrow: ok"
