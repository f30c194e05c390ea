# report.sh - `visionbatch report` on the journal of a real run against the simulator
# (retries, a 429 or more, failures with hostile names), opened in headless Chromium
# (Debian's chromium): no console errors, every chart drawn by the page's script, the
# screenshot shows the charts' colours, names escaped, nothing fetched; and a journal
# from before the samples table still makes a report. Issue 18 point 11: y axes fit the
# data, p90 is visible, names are not broken mid-word, parameters are a table, and a
# resumed job's idle time between runs is cut out of the axis and the run time.
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
# issue 18 point 11: y axes end just above the data (1, 2, 2.5, 5 x 10^k); the p90 line is
# drawn, over the p99 line it may equal, dashed, with a legend; names are never broken
# inside a word (an ellipsis, the whole name in a title); the job's parameters are a table
grep -q 'break-all' "$TMP/report.html" && fail "the report breaks names anywhere (word-break: break-all)"
py "$TMP/dom.html" <<'PY'
import html, re, sys
dom = open(sys.argv[1]).read()
svgs = re.findall(r'<svg [^>]*aria-label="([^"]*)"[^>]*data-ymax="([^"]+)" data-max="([^"]+)"', dom)
assert len(svgs) == 6, svgs
for label, ymax, dmax in svgs:
    ymax, dmax = float(ymax), float(dmax)
    if dmax > 0:
        assert dmax <= ymax <= 2 * dmax, (label, ymax, dmax)
        m = ymax / 10 ** __import__("math").floor(__import__("math").log10(ymax) + 1e-9)
        assert any(abs(m - n) < 1e-6 for n in (1, 2, 2.5, 5, 10)), (label, ymax)
lat = re.search(r'<div class="chart" id="c-latency".*?</svg>(.*?)</div>', dom, re.S)
paths = re.findall(r'<path [^>]*data-key="(p\d\d_ms)"[^>]*>', lat.group(0))
assert paths[-1] == "p90_ms" and "p99_ms" in paths, "p90 not drawn over p99: %s" % paths
p90 = re.search(r'<path [^>]*data-key="p90_ms"[^>]*>', dom).group(0)
assert "stroke-dasharray" in p90 and "L" in re.search(r' d="([^"]*)"', p90).group(1), p90
assert 'data-key="p90_ms"' in lat.group(1), "no p90 in the latency legend"
# names in one piece, whole in the title
cells = re.findall(r'<td class="name"><span title="([^"]*)">([^<]*)</span></td>', dom)
assert len(cells) >= 20, len(cells)
assert all(html.unescape(t) == html.unescape(x) for t, x in cells), cells[:3]
assert any("vb-injected" in html.unescape(t) for t, _ in cells), "hostile id not in a name cell"
# parameters: a table, not raw JSON
params = re.search(r'<table class="params">(.*?)</table>', dom, re.S)
assert params, "no parameters table"
rows = dict(re.findall(r'<tr><th>([^<]*)</th><td>(.*?)</td></tr>', params.group(1), re.S))
assert rows.get("model") == "gpt-4o-mini" and "max_tokens" in rows, rows
assert '{"detail"' not in dom.split('id="vb-data"')[0], "the parameters are raw JSON"
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

# a resumed job: the idle time between its runs is left out of the axis and of the run
# time, and a boundary marks where the second run begins
mkdir -p "$TMP/resumed"
cp $(ls "$TMP"/in/* | head -n 6) "$TMP/resumed/"
run_resumed() {
    local st=0
    "$VB_BIN" run --base-url "$SIM_URL" -c 2 --retry-base 0.05 --progress none \
        -o "$TMP/resumed.jsonl" "$TMP/resumed" 2>"$TMP/resumed.err" || st=$?
    [ "$st" -le 1 ] || { cat "$TMP/resumed.err" >&2; fail "resumed job: exit $st"; }
}
run_resumed
sleep 7 # longer than any stretch of a run without a limit sample (once a second)
cp $(ls "$TMP"/in/* | head -n 12) "$TMP/resumed/"
run_resumed
grep -q '^resuming job' "$TMP/resumed.err" || fail "the second run did not resume the job"
"$VB_BIN" report "$TMP/resumed.journal" -o "$TMP/resumed.html" || fail "no report of the resumed job"
chrome --dump-dom "file://$TMP/resumed.html" >"$TMP/resumed.dom" 2>"$TMP/resumed.domerr"
[ -z "$(console_errors "$TMP/resumed.domerr")" ] || fail "resumed job: console errors"
py "$TMP/resumed.dom" "$TMP/resumed.journal" <<'PY'
import json, re, sqlite3, sys
dom = open(sys.argv[1]).read()
db = sqlite3.connect(sys.argv[2])
t0, t1 = db.execute("SELECT MIN(updated_at), MAX(updated_at) FROM items").fetchone()
assert t1 - t0 > 7, (t0, t1)
assert 'data-charts-rendered="6"' in dom
# one boundary line in each chart, labelled
assert dom.count('class="boundary"') == 6, dom.count('class="boundary"')
assert dom.count(">run 2</text>") == 6
m = re.search(r"Run time</th><td>([0-9.]+) s in 2 runs \(([0-9]+) s idle", dom)
assert m, "no run time over 2 runs"
run_s, idle_s = float(m.group(1)), float(m.group(2))
assert run_s < t1 - t0 - 6 and idle_s >= 6, (run_s, idle_s, t1 - t0)
data = json.loads(re.search(r'id="vb-data">(.*?)</script>', dom, re.S).group(1))
assert len(data["boundaries"]) == 1 and 0 < data["boundaries"][0] < data["span"], data["boundaries"]
assert abs(data["span"] - run_s) < 0.1, (data["span"], run_s)
PY

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
