#!/usr/bin/env bash
# latency.sh - scenario (a): visionbatch and its peers against the simulator answering
# after a realistic latency (lognormal, median 200 ms, 99th percentile 300 ms), at
# concurrency 10, 50 and 200, each sending 40 rounds' worth of images (N = 40 x C; a
# manifest cycling over images-2000, --no-dedupe; the peers send the same bodies).
# The simulator runs with --no-decode so that its CPU (1,000 requests/s at c=200) is
# not what limits the clients on 2 cores.
# Ideal wall = N x mean latency / C (the lognormal's mean, 203 ms: exp(sigma^2/2) x the
# median). Target for visionbatch: within 5% of the ideal at every concurrency. Each row
# also gives the ratio a client without any overhead would reach, from the latency
# spread alone (the last images' tail), simulated.
# Writes rows to $OUT/table.md and throughput points to $OUT/chart-latency.dat.
# Usage: BUILD=build RUNS=3 bench/latency.sh
cd "$(dirname "$0")/.."
source bench/lib.sh
source bench/peers/lib.sh
MED=200 P99=300 ROUNDS=40
images "$OUT/images-2000" 2000
make_bodies small images-2000 2000
start_sim latency --latency-ms $MED --latency-p99-ms $P99 --seed 7 --no-decode
mean=$(python3 -c "import math; s = math.log($P99 / $MED) / 2.326348; print(round($MED * math.exp(s * s / 2), 1))")
echo "# concurrency ${CLIENTS[*]} (images/s)" >"$OUT/chart-latency.dat"
for c in ${CONCURRENCIES:-10 50 200}; do
    n=$((ROUNDS * c))
    make_inputs small images-2000 $n
    ideal=$(python3 -c "print(round($n * $mean / 1000 / $c, 3))")
    # what a client without any overhead would get, the latencies' spread alone: C
    # slots taking the next image as soon as one is free (median of 9 simulated runs)
    floor=$(python3 -c "
import heapq, math, random
random.seed($c)
s = math.log($P99 / $MED) / 2.326348
ends = []
for _ in range(9):
    slots = [0.0] * $c
    for _ in range($n):
        heapq.heappush(slots, heapq.heappop(slots) + random.lognormvariate(math.log($MED), s))
    ends.append(max(slots) / 1000 / $ideal)
print(round(sorted(ends)[4], 3))")
    point="$c"
    for client in "${CLIENTS[@]}"; do
        walls=()
        for r in $(seq 1 "$RUNS"); do
            sim_reset
            run_client "$client" "$SIM_URL" "$c" small "$n" --no-journal
            [ "$OK" -eq "$n" ] || echo "  $client: only $OK of $n ok" >&2
            walls+=("$WALL")
            echo "  latency c=$c $client run $r: wall $WALL s (ideal $ideal s), ok $OK, max in flight $(sim_stat max_in_flight)"
        done
        wall=$(median "${walls[@]}")
        ratio=$(python3 -c "print(round($wall / $ideal, 3))")
        point="$point $(python3 -c "print(round($n / $wall, 1))")"
        verdict=""
        [ "$client" = visionbatch ] && verdict=$(python3 -c "print('target <= 1.05: ' + ('pass' if $ratio <= 1.05 else 'MISS'))")
        echo "latency c=$c $client: median wall $wall s, ideal $ideal s, ratio $ratio"
        echo "| (a) 200 ms lognormal (p99 300 ms), c=$c, $n images: $client | $wall s, ratio $ratio | ideal $ideal s (a client with no overhead: ratio $floor); $verdict | \`BUILD=$BUILD RUNS=$RUNS bench/latency.sh\` |" >>"$OUT/table.md"
    done
    echo "$point" >>"$OUT/chart-latency.dat"
done
