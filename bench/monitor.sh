#!/usr/bin/env bash
# monitor.sh - what watching a run costs: throughput against a server that answers at
# once, 2,000 images at c=50 without a journal, with the live views off (-q) and on (the
# bar's 10 snapshots a second drawn as JSON lines to a file, and the Prometheus endpoint
# scraped every second while it runs; Prometheus scrapes every 15 s by default).
# Throughput is the run's own (--stats-json wall_s), so the scraping loop's last sleep
# does not count. Alternating runs, medians: on must be >= 95% of off.
# Usage: BUILD=build RUNS=3 bench/monitor.sh
cd "$(dirname "$0")/.."
source bench/lib.sh
N=2000 C=50
images "$OUT/images-2000" $N
start_sim monitor
on=() off=()
for r in $(seq 1 "$RUNS"); do
    for mode in off on; do
        sim_reset
        args=(-q)
        [ $mode = on ] && args=(--progress json --progress-interval 0.1 --metrics-port 0)
        rm -f "$OUT/monitor.json"
        "$VB" run --base-url "$SIM_URL" -c $C --no-journal "${args[@]}" -o "$OUT/monitor.jsonl" \
            --stats-json "$OUT/monitor.json" \
            "$OUT/images-2000" 2>"$OUT/monitor.err" &
        pid=$!
        if [ $mode = on ]; then
            port=""
            while [ -z "$port" ] && kill -0 $pid 2>/dev/null; do
                port=$(sed -n 's#^metrics on http://127.0.0.1:\([0-9]*\)/metrics$#\1#p' "$OUT/monitor.err")
                sleep 0.02
            done
            while kill -0 $pid 2>/dev/null; do
                curl -sf "http://127.0.0.1:$port/metrics" >/dev/null || true
                sleep 1
            done
        fi
        wait $pid
        rate=$(python3 -c "import json; s = json.load(open('$OUT/monitor.json')); assert s['ok'] == $N; print(round($N / s['wall_s'], 1))")
        [ $mode = on ] && on+=("$rate") || off+=("$rate")
        echo "  run $r views $mode: $rate images/s"
    done
done
m_on=$(median "${on[@]}")
m_off=$(median "${off[@]}")
ratio=$(python3 -c "print(round(100 * $m_on / $m_off, 1))")
echo "monitor overhead: on $m_on images/s, off $m_off images/s: $ratio% (target >= 95%)"
echo "| throughput with progress + metrics scraped, 2,000 images, instant server | on $m_on/s, off $m_off/s: $ratio% | target >= 95% | \`BUILD=$BUILD RUNS=$RUNS bench/monitor.sh\` |" >>"$OUT/table.md"
