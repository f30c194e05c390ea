#!/usr/bin/env bash
# journal.sh - the journal's two promises (issue "Lose nothing, pay once"):
#  crash     kill -9 at five random moments of a 2,000-image run against a 50 ms server,
#            the same command after each: 2,000 lines, 2,000 distinct ids, all ok, and no
#            image paid twice beyond those in flight at a kill (<= concurrency x kills)
#  overhead  throughput against a server that answers at once, journal on vs off
#            (alternating runs, medians): on must be >= 95% of off
# Usage: BUILD=build RUNS=3 bench/journal.sh
cd "$(dirname "$0")/.."
source bench/lib.sh
N=2000 C=50
images "$OUT/images-2000" $N

start_sim journal-crash --latency-ms 50
rm -f "$OUT"/crash.jsonl "$OUT"/crash.journal*
cmd=("$VB" run --base-url "$SIM_URL" -c $C -q -o "$OUT/crash.jsonl" "$OUT/images-2000")
kills=0
for k in 1 2 3 4 5; do
    "${cmd[@]}" &
    pid=$!
    sleep "$(python3 -c "import random; print(round(random.uniform(0.2, 0.6), 3))")"
    if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
    wait "$pid" 2>/dev/null || true
done
"${cmd[@]}"
read -r lines ids oks < <(python3 -c "
import json
ls = [json.loads(l) for l in open('$OUT/crash.jsonl')]
print(len(ls), len({l['id'] for l in ls}), sum(l['status'] == 'ok' for l in ls))")
billed=$(sim_stat images_billed)
distinct=$(sim_stat distinct_images_billed)
twice=$((billed - distinct))
echo "journal crash: $kills kills; $lines lines, $ids distinct ids, $oks ok; billed $billed" \
     "($distinct distinct, $twice paid twice; bound $((C * kills)))"
verdict=$([ "$lines" -eq $N ] && [ "$ids" -eq $N ] && [ "$oks" -eq $N ] && [ "$twice" -le $((C * kills)) ] && echo pass || echo FAIL)
echo "| kill -9 x $kills during 2,000 images (50 ms, c=50), resumed | $lines lines, $ids ids, $oks ok, $twice paid twice | all 2,000 once; paid twice <= $((C * kills)): $verdict | \`BUILD=$BUILD bench/journal.sh\` |" >>"$OUT/table.md"
kill "${BENCH_PIDS[-1]}" 2>/dev/null || true

start_sim journal-speed
on=() off=()
for r in $(seq 1 "$RUNS"); do
    for mode in off on; do
        sim_reset
        rm -f "$OUT"/speed.jsonl "$OUT"/speed.journal*
        args=(--no-journal)
        [ $mode = on ] && args=()
        t0=$(now_s)
        "$VB" run --base-url "$SIM_URL" -c $C -q "${args[@]}" -o "$OUT/speed.jsonl" "$OUT/images-2000"
        t1=$(now_s)
        rate=$(python3 -c "print(round($N / ($t1 - $t0), 1))")
        [ $mode = on ] && on+=("$rate") || off+=("$rate")
        echo "  run $r journal $mode: $rate images/s"
    done
done
m_on=$(median "${on[@]}")
m_off=$(median "${off[@]}")
ratio=$(python3 -c "print(round(100 * $m_on / $m_off, 1))")
echo "journal overhead: on $m_on images/s, off $m_off images/s: $ratio% (target >= 95%)"
echo "| throughput with the journal, 2,000 images, instant server | on $m_on/s, off $m_off/s: $ratio% | target >= 95% | \`BUILD=$BUILD RUNS=$RUNS bench/journal.sh\` |" >>"$OUT/table.md"
