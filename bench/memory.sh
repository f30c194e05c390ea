#!/usr/bin/env bash
# memory.sh - peak RSS for 1,000 vs 50,000 images (a manifest cycling over 2,000 distinct
# files) against a server that answers at once: memory must not grow with the image
# count. Target: 50,000 images below 64 MiB. The journal is on, as by default; dedupe
# is off so that every one of the 50,000 items is really sent. The simulator checks
# image headers only (--no-decode), so that it keeps up.
# Usage: BUILD=build RUNS=3 bench/memory.sh
cd "$(dirname "$0")/.."
source bench/lib.sh
images "$OUT/images-2000" 2000
start_sim memory --no-decode
for n in 1000 50000; do
    cycle_manifest "$OUT/manifest-$n.jsonl" $n
    peaks=()
    rates=()
    for r in $(seq 1 "$RUNS"); do
        sim_reset
        rm -f "$OUT"/memory.journal*
        /usr/bin/time -f '%M %e' -o "$OUT/memory.time" \
            "$VB" run --base-url "$SIM_URL" -c 50 -q --no-dedupe -o "$OUT/memory.jsonl" "$OUT/manifest-$n.jsonl"
        read -r kb secs <"$OUT/memory.time"
        [ "$(wc -l <"$OUT/memory.jsonl")" -eq "$n" ] || { echo "memory: lost lines" >&2; exit 1; }
        peaks+=("$kb")
        rates+=("$(python3 -c "print(round($n / $secs))")")
    done
    mib=$(python3 -c "print(round($(median "${peaks[@]}") / 1024, 1))")
    [ $n = 1000 ] && mib_1000=$mib
    flat=$(python3 -c "print('%+.1f%% vs 1,000' % (100 * ($mib / $mib_1000 - 1)))")
    echo "memory: $n images: median peak RSS $mib MiB, $(median "${rates[@]}") images/s ($RUNS runs)"
    echo "| (c) peak RSS, $n images, c=50, every item sent | $mib MiB ($flat) | target < 64 MiB at 50,000, flat vs 1,000 | \`BUILD=$BUILD RUNS=$RUNS bench/memory.sh\` |" >>"$OUT/table.md"
done
