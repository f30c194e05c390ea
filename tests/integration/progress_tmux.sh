# progress_tmux.sh - the progress display of a real run against the simulator: inside a
# terminal (tmux) one bar line redrawn in place, fitting the terminal after a resize and
# ending with a newline before the summary; piped to a file, plain log lines without an
# escape code or carriage return; --progress json lines parse; --quiet prints nothing.
source "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || fail "tmux is not installed (scripts/install-deps.sh)"

SOCK="vbtest$$"
tmux_cleanup() {
    tmux -L "$SOCK" kill-server 2>/dev/null || true
    vb_cleanup
}
trap tmux_cleanup EXIT

gen_images "$TMP/in" 48 --seed 5 --min-side 64 --max-side 400
start_sim --latency-ms 200

# --- in a terminal: 120 columns, then 80 -------------------------------------------------
cat >"$TMP/run.sh" <<SH
"$VB_BIN" run --base-url "$SIM_URL" -c 3 --no-journal -o "$TMP/tty.jsonl" "$TMP/in"
echo \$? >"$TMP/tty.rc"
sleep 600
SH
tmux -L "$SOCK" -f /dev/null new-session -d -x 120 -y 30 "bash $TMP/run.sh"
: >"$TMP/frames"
resized=0
for i in $(seq 1 600); do
    tmux -L "$SOCK" capture-pane -p -J >"$TMP/frame" 2>/dev/null || true
    grep 'img/s' "$TMP/frame" >>"$TMP/frames" || true
    if [ $resized -eq 0 ] && grep -q '^\[#*-*\] [0-9]*/48' "$TMP/frame"; then
        grep 'img/s' "$TMP/frame" >"$TMP/wide"
        tmux -L "$SOCK" resize-window -x 80 -y 30
        resized=1
    fi
    [ -s "$TMP/tty.rc" ] && break
    sleep 0.1
done
[ -s "$TMP/tty.rc" ] || fail "the run in tmux did not finish"
[ "$(cat "$TMP/tty.rc")" = 0 ] || fail "the run in tmux exited $(cat "$TMP/tty.rc")"
tmux -L "$SOCK" capture-pane -p >"$TMP/final"
cat "$TMP/final" >&2

# the bar was seen mid-run at several different counts (wide: with the bar drawn)
[ -s "$TMP/wide" ] || fail "no bar seen at 120 columns"
mid=$(grep -v '48/48' "$TMP/frames" | { grep -o '[0-9]*/48 ' || true; } | sort -u | wc -l)
[ "$mid" -ge 3 ] || { cat "$TMP/frames" >&2; fail "the bar was not seen updating ($mid states)"; }
# redrawn in place: the finished pane holds exactly one progress line, the final one
[ "$(grep -c 'img/s' "$TMP/final")" -eq 1 ] || fail "more than one progress line in the pane"
bar=$(grep 'img/s' "$TMP/final")
grep -q '48/48 100%' <<<"$bar" || fail "the last bar is not 48/48 100%: $bar"
# the compact form that fits 80 columns (at most 79 used: never wraps), with a shorter
# bar; its last word says the run finished; to make room for the bar, "sending 0" and
# "retry 0" may be left out
grep -Eq '^\[#+\] 48/48 100% [0-9.]+ img/s ETA 0s (sending 0 )?ok 48 fail 0 (retry 0 )?429s 0 \$[0-9.]+ \(done\)$' \
    <<<"$bar" || fail "the last bar lacks a field: $bar"
[ "${#bar}" -le 79 ] || fail "the bar is ${#bar} columns wide in an 80-column terminal"
wide=$(head -n 1 "$TMP/wide")
grep -Eq '^\[#*-+\] [0-9]+/48 +[0-9]+%  .* img/s  ETA .*  in flight [0-9]+  ok [0-9]+  failed 0' \
    <<<"$wide" || fail "the wide bar lacks the bar or a field: $wide"
[ "${#wide}" -le 119 ] || fail "the bar is ${#wide} columns wide in a 120-column terminal"
# ended cleanly: the summary starts on a line of its own after the bar
grep -A2 'img/s' "$TMP/final" | grep -q '^visionbatch summary$' ||
    fail "the summary does not follow the bar on its own line"

# --- results to the same terminal: each line goes above the bar, never into it ----------
cat >"$TMP/run2.sh" <<SH
"$VB_BIN" run --base-url "$SIM_URL" -c 8 --no-journal "$TMP/in"
echo \$? >"$TMP/tty2.rc"
sleep 600
SH
tmux -L "$SOCK" -f /dev/null new-session -d -s both -x 400 -y 20 "bash $TMP/run2.sh"
for i in $(seq 1 600); do
    [ -s "$TMP/tty2.rc" ] && break
    sleep 0.1
done
[ "$(cat "$TMP/tty2.rc" 2>/dev/null)" = 0 ] || fail "the run with results on the terminal failed"
tmux -L "$SOCK" capture-pane -t both -p -J -S - >"$TMP/both"
[ "$(grep -c '^{"id":' "$TMP/both")" -eq 48 ] || fail "not 48 whole result lines on the terminal"
grep 'img/s' "$TMP/both" | grep -q '"id"' && fail "a result line was written into the bar"
[ "$(grep -c 'img/s' "$TMP/both")" -eq 1 ] || fail "the bar was left behind more than once"
grep -A2 '48/48 100%' "$TMP/both" | tail -n 1 | grep -q '^visionbatch summary$' ||
    fail "the final bar is not the last line before the summary"

# --- piped to a file: log lines, no control characters ---------------------------------
"$VB_BIN" run --base-url "$SIM_URL" -c 3 --no-journal --progress-interval 0.5 \
    -o "$TMP/pipe.jsonl" "$TMP/in" 2>"$TMP/pipe.err" | cat
grep -q $'\x1b' "$TMP/pipe.err" && fail "escape code in piped stderr"
grep -q $'\r' "$TMP/pipe.err" && fail "carriage return in piped stderr"
[ "$(grep -c '^progress: ' "$TMP/pipe.err")" -ge 3 ] || { cat "$TMP/pipe.err" >&2; fail "too few log lines"; }
grep -q '^progress: 48/48 100%.*(done)$' "$TMP/pipe.err" || fail "no final log line"
grep -q '^visionbatch summary$' "$TMP/pipe.err" || fail "no summary when piped"

# --- json lines ---------------------------------------------------------------------------
"$VB_BIN" run --base-url "$SIM_URL" -c 3 --no-journal --progress json --progress-interval 0.5 \
    -o "$TMP/json.jsonl" "$TMP/in" 2>"$TMP/json.err"
py "$TMP/json.err" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]).read().split("\n") if l.startswith("{")]
snaps = [json.loads(l) for l in lines]
assert len(snaps) >= 3, snaps
assert all(s["total"] == 48 for s in snaps[1:])
done = [s["done"] for s in snaps]
assert done == sorted(done), done
assert snaps[-1]["final"] is True and snaps[-1]["done"] == 48 and snaps[-1]["ok"] == 48
assert [s for s in snaps if not s["final"] and 0 < s["done"] < 48], "no mid-run line"
assert sum(1 for s in snaps if s["final"]) == 1
PY

# --- quiet: errors only ---------------------------------------------------------------------
"$VB_BIN" run --base-url "$SIM_URL" -c 8 --no-journal -q -o "$TMP/q.jsonl" "$TMP/in" 2>"$TMP/q.err"
[ ! -s "$TMP/q.err" ] || { cat "$TMP/q.err" >&2; fail "--quiet printed something"; }
[ "$(wc -l <"$TMP/q.jsonl")" -eq 48 ] || fail "--quiet run lost results"
echo "progress_tmux: ok"
