#!/usr/bin/env bash
# estimate.sh - `visionbatch estimate` over 50,000 images (a .txt manifest cycling over
# 2,000 distinct small JPEGs, as bench/memory.sh uses), nothing sent: every image's header
# is read and its tokens counted. Target: under 20 s. Files are in the page cache after
# the first run; the median is of warm runs on this machine.
# Usage: BUILD=build RUNS=3 bench/estimate.sh
cd "$(dirname "$0")/.."
source bench/lib.sh
N=50000
images "$OUT/images-2000" 2000
cycle_manifest "$OUT/manifest-estimate-$N.jsonl" $N
walls=()
for r in $(seq 1 "$RUNS"); do
    t0=$(now_s)
    "$VB" estimate --json -m gpt-4o --detail high --rpm 5000 --tpm 2000000 \
        "$OUT/manifest-estimate-$N.jsonl" >"$OUT/estimate.json"
    t1=$(now_s)
    walls+=("$(python3 -c "print(round($t1 - $t0, 3))")")
    images=$(python3 -c "import json; print(json.load(open('$OUT/estimate.json'))['images'])")
    [ "$images" -eq "$N" ] || { echo "estimate: counted $images images, expected $N" >&2; exit 1; }
    echo "run $r: wall ${walls[-1]} s, $images images"
done
wall=$(median "${walls[@]}")
rate=$(python3 -c "print(round($N / $wall))")
echo "estimate: $N images: median wall $wall s over $RUNS runs ($rate images/s; target < 20 s)"
echo "| estimate, 50,000 images (manifest over 2,000 files), no network | $wall s ($rate images/s) | target < 20 s | \`BUILD=$BUILD RUNS=$RUNS bench/estimate.sh\` |" >>"$OUT/table.md"
