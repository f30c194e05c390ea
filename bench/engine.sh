#!/usr/bin/env bash
# engine.sh - throughput against a server with 100 ms latency: 2,000 images at
# concurrency 50, ideal 2000 x 0.1 s / 50 = 4.0 s. Also checks that the server never saw
# more than 50 requests at once and that each image was sent exactly once.
# Usage: BUILD=build RUNS=3 [PROVIDER=anthropic|gemini] bench/engine.sh
cd "$(dirname "$0")/.."
source bench/lib.sh
N=2000 C=50 LAT=100
images "$OUT/images-2000" $N
start_sim engine --latency-ms $LAT
ideal=$(python3 -c "print($N * $LAT / 1000 / $C)")
walls=()
for r in $(seq 1 "$RUNS"); do
    sim_reset
    t0=$(now_s)
    # shellcheck disable=SC2046
    "$VB" run $(target_args) -c $C -q --no-journal -o "$OUT/engine.jsonl" "$OUT/images-2000"
    t1=$(now_s)
    walls+=("$(python3 -c "print(round($t1 - $t0, 3))")")
    lines=$(wc -l <"$OUT/engine.jsonl")
    echo "run $r: wall ${walls[-1]} s, lines $lines, requests $(sim_stat requests)," \
         "distinct billed $(sim_stat distinct_images_billed), max in flight $(sim_stat max_in_flight)"
done
wall=$(median "${walls[@]}")
ratio=$(python3 -c "print(round($wall / $ideal, 3))")
echo "engine$(provider_label): $N images, concurrency $C, latency ${LAT} ms: median wall $wall s over $RUNS runs" \
     "(ideal $ideal s, ratio $ratio; target <= 1.15)"
echo "| throughput$(provider_label), 2,000 images, c=50, 100 ms server | $wall s | ideal $ideal s, ratio $ratio (target <= 1.15) | \`BUILD=$BUILD RUNS=$RUNS PROVIDER=$PROVIDER bench/engine.sh\` |" >>"$OUT/table.md"
