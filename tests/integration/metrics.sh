# metrics.sh - Prometheus metrics of a real run against the simulator: scraped over HTTP
# while the run goes, each scrape strict text format 0.0.4 that prometheus_client parses,
# counters rising and never past the end, the final scrape equal to --stats-json and to
# what the simulator answered.
source "$(dirname "$0")/lib.sh"
PY3=/usr/bin/python3 # Debian's, with python3-prometheus-client
"$PY3" -c 'import prometheus_client.parser' ||
    fail "python3-prometheus-client is not installed (scripts/install-deps.sh)"

N=60
gen_images "$TMP/in" $N --seed 9 --min-side 64 --max-side 300
# about 8% of answers are 5xx (retried), so statuses other than 200 show up too
start_sim --latency-ms 150 --fail-rate 0.08 --seed 3

: >"$TMP/err.txt" # polled below before the background job's shell may have opened it
"$VB_BIN" run --base-url "$SIM_URL" -c 4 --no-journal --progress none --retry-base 0.05 \
    --metrics-port 0 --metrics-linger 30 --stats-json "$TMP/stats.json" \
    -o "$TMP/out.jsonl" "$TMP/in" 2>"$TMP/err.txt" &
RUN_PID=$!
VB_PIDS+=("$RUN_PID")

port=""
for i in $(seq 1 200); do
    port=$(sed -n 's#^metrics on http://127\.0\.0\.1:\([0-9]*\)/metrics$#\1#p' "$TMP/err.txt")
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { cat "$TMP/err.txt" >&2; fail "no metrics port printed"; }
URL="http://127.0.0.1:$port/metrics"

# the content type, and nothing but /metrics
curl -sS -D "$TMP/headers" -o /dev/null "$URL"
grep -qi '^content-type: text/plain; version=0.0.4' "$TMP/headers" || fail "content type"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" = 404 ] || fail "/ not 404"

# scrape while the run goes, until the summary is written
n=0
while [ ! -s "$TMP/stats.json" ]; do
    kill -0 "$RUN_PID" 2>/dev/null || break
    curl -sSf "$URL" -o "$TMP/scrape.$n" 2>/dev/null && n=$((n + 1))
    sleep 0.2
done
[ -s "$TMP/stats.json" ] || { cat "$TMP/err.txt" >&2; fail "no --stats-json"; }
# the run is over; it lingers, serving the final figures
curl -sSf "$URL" -o "$TMP/final" || fail "no final scrape during --metrics-linger"
[ "$n" -ge 3 ] || fail "only $n scrapes during the run"

mids=()
for i in $(seq 0 $((n - 1))); do mids+=("$TMP/scrape.$i"); done
"$PY3" "$(dirname "$0")/metrics_check.py" "$TMP/stats.json" $N "$TMP/final" "${mids[@]}" ||
    fail "metrics do not check out"

# the summary agrees with the simulator: every request it answered, by status
py "$TMP/stats.json" "$(sim_stat responses.200)" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["requests_by_status"]["200"] == int(sys.argv[2]), (s["requests_by_status"], sys.argv[2])
assert s["ok"] == 60 and s["requests"] > 60, s
assert sum(s["retries_by_cause"].values()) == s["retries"], s
PY
kill "$RUN_PID" 2>/dev/null || true
wait "$RUN_PID" 2>/dev/null || true
echo "metrics: ok ($n scrapes)"
