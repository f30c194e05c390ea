# report.sh - `visionbatch report` on the journal of a real run against the simulator
# (retries, a 429 or more, failures with hostile names), opened in headless Chromium
# (Debian's chromium): no console errors, every chart drawn by the page's script, the
# screenshot shows the charts' colours, names escaped, nothing fetched; and a journal
# from before the samples table still makes a report.
source "$(dirname "$0")/lib.sh"
CHROMIUM=$(command -v chromium || true)
[ -n "$CHROMIUM" ] || fail "chromium is not installed (scripts/install-deps.sh)"
SHOT=${VB_REPORT_SHOT:-/tmp/vb-report-shot.png}

# chrome HTML: headless, console messages on stderr, profile in $TMP
chrome() {
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --enable-logging=stderr \
        --v=0 --user-data-dir="$TMP/chrome" --no-first-run --window-size=1280,2000 "$@"
}
# console errors: what the page's scripts said or threw
console_errors() { grep -E 'CONSOLE|Uncaught' "$1" || true; }

# the check finds console errors (a page that logs one must be caught)
printf '<!DOCTYPE html><body><script>console.error("canary");</script></body>' >"$TMP/canary.html"
chrome --dump-dom "file://$TMP/canary.html" >/dev/null 2>"$TMP/canary.err"
console_errors "$TMP/canary.err" | grep -q canary ||
    fail "the console check does not see a page's console.error"

mkdir -p "$TMP/in"
gen_images "$TMP/in" 40 --seed 11 --min-side 64 --max-side 300
printf 'not an image' >"$TMP/bad.jpg"
{
    for f in "$TMP"/in/*; do printf '{"image": "%s"}\n' "$f"; done
    printf '{"id": "<i id=\\"vb-injected\\">x</i> & \\"q\\"", "image": "%s"}\n' "$TMP/bad.jpg"
    printf '{"id": "</script><script>document.title=\\"pwned\\"</script>", "image": "%s"}\n' \
        "$TMP/bad.jpg"
} >"$TMP/items.jsonl"
# 429s (the server allows 1200 a minute, the run is told 6000), 5xx retried, latency
start_sim --latency-ms 80 --jitter-ms 40 --rpm 1200 --burst-s 0.1 --fail-rate 0.05 --seed 7
status=0
"$VB_BIN" run --base-url "$SIM_URL" -c 6 --rpm 6000 --retry-base 0.05 --retry-max 1 \
    --progress none -o "$TMP/out.jsonl" "$TMP/items.jsonl" 2>"$TMP/run.err" || status=$?
[ "$status" -eq 1 ] || { cat "$TMP/run.err" >&2; fail "run exit $status, expected 1"; }
[ -s "$TMP/out.journal" ] || fail "no journal"

"$VB_BIN" report "$TMP/out.journal" -o "$TMP/report.html" || fail "report failed"
grep -q '^<!DOCTYPE html>' "$TMP/report.html" || fail "not HTML"
# self-contained: no element or style loads anything
grep -Eio '(src|href)=|url\(|@import|<link' "$TMP/report.html" && fail "the report references an asset"
grep -Eo 'fetch\(|XMLHttpRequest|WebSocket|import\(|<iframe|<object|<embed' "$TMP/report.html" &&
    fail "the report's script or markup can load something"
# hostile ids are escaped text, never markup
grep -q '<i id="vb-injected">' "$TMP/report.html" && fail "an item id was written as markup"
grep -q '&lt;i id=&quot;vb-injected&quot;&gt;x&lt;/i&gt; &amp; &quot;q&quot;' "$TMP/report.html" ||
    fail "the hostile id is not in the failed table, escaped"
[ "$(grep -c '</script>' "$TMP/report.html")" -eq 2 ] || fail "a </script> from the data ends a script"

chrome --dump-dom "file://$TMP/report.html" >"$TMP/dom.html" 2>"$TMP/dom.err"
chrome --screenshot="$SHOT" "file://$TMP/report.html" >/dev/null 2>"$TMP/shot.err"
# a half-scale one for the pixel count (pure-Python PNG decoding is slow)
chrome --screenshot="$TMP/small.png" --force-device-scale-factor=0.5 --window-size=1280,1500 \
    "file://$TMP/report.html" >/dev/null 2>"$TMP/small.err"
errors=$(console_errors "$TMP/dom.err"; console_errors "$TMP/shot.err"; console_errors "$TMP/small.err")
[ -z "$errors" ] || fail "console errors: $errors"
grep -q '<body data-charts-rendered="6">' "$TMP/dom.html" || fail "the script did not draw 6 charts"
grep -q '<title>visionbatch report: ' "$TMP/dom.html" || fail "the title changed (script injected?)"
grep -q 'vb-injected">x' "$TMP/dom.html" && fail "an injected element is in the DOM"
py "$TMP/dom.html" <<'PY'
import re, sys
dom = open(sys.argv[1]).read()
for chart in ("c-throughput", "c-latency", "c-errors", "c-concurrency", "c-rate", "c-cost"):
    m = re.search(r'<div class="chart" id="%s" data-points="(\d+)">(.*?)</div>\s*(?=<div class="chart"|</div>)' % chart, dom, re.S)
    assert m, chart + ": not drawn"
    assert int(m.group(1)) >= 8, (chart, m.group(1))
    assert "<svg" in m.group(2) and "<path" in m.group(2), chart + ": no line"
    assert "No data for" not in m.group(2) or chart == "c-rate", chart + ": a series is missing"
assert "Failed items (2)" in dom and "not_an_image" in dom, "failed items table"
assert "Slowest requests (10)" in dom
PY
# the summary table agrees with the run's own summary
grep -q 'Images</th><td>42: ok 40, failed 2, skipped 0' "$TMP/report.html" || fail "summary row"
r429=$(sed -n 's/.*rate-limited 429s \([0-9]*\)).*/\1/p' "$TMP/run.err")
[ "${r429:-0}" -gt 0 ] || { cat "$TMP/run.err" >&2; fail "the run saw no 429 (the chart would be empty)"; }
grep -q "rate-limited 429s $r429)" "$TMP/report.html" || fail "the report's 429 count differs"

# the screenshot shows the charts: pixels of the series colours
[ -s "$SHOT" ] || fail "no screenshot"
/usr/bin/python3 "$(dirname "$0")/png_colors.py" "$TMP/small.png" 2563eb 16a34a dc2626 0f766e \
    f59e0b >"$TMP/colors" || fail "cannot read the screenshot"
while read -r colour n; do
    [ "$n" -ge 60 ] || fail "colour #$colour: $n pixels in the screenshot"
done <"$TMP/colors"
echo "screenshot: $SHOT ($(tr '\n' ' ' <"$TMP/colors"))"

# a journal of schema 1 (no samples table, no version) still makes a report
cp "$TMP/out.journal" "$TMP/old.journal"
py "$TMP/old.journal" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("DROP TABLE samples")
db.execute("DELETE FROM meta WHERE key = 'schema_version'")
db.commit()
PY
"$VB_BIN" report "$TMP/old.journal" -o "$TMP/old.html" || fail "no report from an old journal"
grep -q 'predates limit samples' "$TMP/old.html" || fail "old journal: no note"
chrome --dump-dom "file://$TMP/old.html" >"$TMP/old.dom" 2>"$TMP/old.err"
[ -z "$(console_errors "$TMP/old.err")" ] || fail "old journal: console errors"
grep -q '<body data-charts-rendered="6">' "$TMP/old.dom" || fail "old journal: charts not drawn"
# and opening it for a report did not change it
py "$TMP/old.journal" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'samples'").fetchall()
PY
# not a journal: one clear error
printf 'x' >"$TMP/not.journal"
"$VB_BIN" report "$TMP/not.journal" -o "$TMP/x.html" 2>"$TMP/not.err" && fail "a non-journal made a report"
grep -q 'visionbatch report:' "$TMP/not.err" || fail "no error for a non-journal"
echo "report: ok"
