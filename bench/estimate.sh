#!/usr/bin/env bash
# estimate.sh - `visionbatch estimate` over 50,000 images (a .txt manifest cycling over
# 2,000 distinct small JPEGs, as bench/memory.sh uses), nothing sent. Two ways:
#  dedupe     the default, as run decides: every file read whole and hashed, so the
#             48,000 repeats are priced once (images + duplicates = 50,000)
#  headers    --no-dedupe: only each image's header is read, every one priced
# Target: each under 20 s. Files are in the page cache after the first run; the medians
# are of warm runs on this machine, the two ways alternating.
# Usage: BUILD=build RUNS=3 bench/estimate.sh
cd "$(dirname "$0")/.."
source bench/lib.sh
N=50000
images "$OUT/images-2000" 2000
cycle_manifest "$OUT/manifest-estimate-$N.jsonl" $N

# one_estimate WAY [options]: one timed estimate; its wall time in $wall
one_estimate() {
    local way=$1
    shift
    local t0 t1
    t0=$(now_s)
    "$VB" estimate --json -m gpt-4o --detail high --rpm 5000 --tpm 2000000 "$@" \
        "$OUT/manifest-estimate-$N.jsonl" >"$OUT/estimate.json"
    t1=$(now_s)
    wall=$(python3 -c "print(round($t1 - $t0, 3))")
    local counted
    counted=$(python3 -c "
import json; e = json.load(open('$OUT/estimate.json')); print(e['images'] + e.get('duplicates', 0))")
    [ "$counted" -eq "$N" ] || { echo "estimate ($way): counted $counted images, expected $N" >&2; exit 1; }
}

dedupe=() headers=()
for r in $(seq 1 "$RUNS"); do
    one_estimate dedupe
    dedupe+=("$wall")
    one_estimate headers --no-dedupe
    headers+=("$wall")
    echo "run $r: dedupe ${dedupe[-1]} s, headers only ${headers[-1]} s"
done
for way in dedupe headers; do
    declare -n walls=$way
    wall=$(median "${walls[@]}")
    rate=$(python3 -c "print(round($N / $wall))")
    echo "estimate ($way): $N images: median wall $wall s over $RUNS runs ($rate images/s; target < 20 s)"
    echo "| estimate ($way), 50,000 images (manifest over 2,000 files), no network | $wall s ($rate images/s) | target < 20 s | \`BUILD=$BUILD RUNS=$RUNS bench/estimate.sh\` |" >>"$OUT/table.md"
done
