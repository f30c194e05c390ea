#!/usr/bin/env bash
# incremental.sh - the daily run over a catalog whose journal has it all (issue 18 point
# 4): the same command again must cost little, and send exactly the photos replaced.
#  same       nothing changed: each done file is only stat'ed (size, mtime), never read
#  touched    every file's mtime changed (a copy of the catalog): each is read and hashed
#             once, nothing sent, and the new mtimes journaled (the next run is "same")
#  replaced   1% of the files replaced by other pictures: exactly those sent
# 5,000 images against a simulator that answers at once, -c 50. Walls are medians of
# RUNS runs; "baseline" is the first, full run of the same images (everything sent).
# Usage: BUILD=build RUNS=3 bench/incremental.sh
cd "$(dirname "$0")/.."
source bench/lib.sh
N=5000 C=50 REPLACED=50
images "$OUT/images-inc-src" $N
if [ "$(ls "$OUT/images-inc-new" 2>/dev/null | wc -l)" -ne $REPLACED ]; then
    rm -rf "$OUT/images-inc-new"
    "$GEN" --seed 99 --min-side 128 --max-side 384 --format jpeg "$OUT/images-inc-new" $REPLACED >/dev/null
fi
start_sim incremental --latency-ms 0

# timed_run NAME: one run of the daily command over the catalog copy; wall in $wall
timed_run() {
    local t0 t1
    t0=$(now_s)
    "$VB" run --base-url "$SIM_URL" -c $C -q --progress none -o "$OUT/inc.jsonl" \
        --stats-json "$OUT/inc-$1.json" "$OUT/inc/catalog" 2>"$OUT/inc-$1.err" ||
        { cat "$OUT/inc-$1.err" >&2; exit 1; }
    t1=$(now_s)
    wall=$(python3 -c "print(round($t1 - $t0, 3))")
}

base=() same=() touched=() replaced=()
for r in $(seq 1 "$RUNS"); do
    rm -rf "$OUT/inc" "$OUT"/inc.jsonl "$OUT"/inc.journal*
    mkdir -p "$OUT/inc/catalog"
    cp "$OUT"/images-inc-src/* "$OUT/inc/catalog/"
    sim_reset
    timed_run base
    base+=("$wall")
    timed_run same
    same+=("$wall")
    [ "$(sim_stat requests)" -eq $N ] || { echo "same: $(sim_stat requests) requests, not $N" >&2; cat "$OUT/inc-base.json" >&2; exit 1; }
    touch "$OUT"/inc/catalog/*
    timed_run touched
    touched+=("$wall")
    [ "$(sim_stat requests)" -eq $N ] || { echo "touched: requests sent" >&2; exit 1; }
    # replace REPLACED files by pictures the job has never seen
    mapfile -t files < <(ls "$OUT/inc/catalog" | head -n $REPLACED)
    mapfile -t fresh < <(ls "$OUT/images-inc-new")
    for i in $(seq 0 $((REPLACED - 1))); do
        cp "$OUT/images-inc-new/${fresh[$i]}" "$OUT/inc/catalog/${files[$i]}"
    done
    timed_run replaced
    replaced+=("$wall")
    sent=$(($(sim_stat requests) - N))
    [ "$sent" -eq $REPLACED ] || { echo "replaced: $sent sent, $REPLACED expected" >&2; exit 1; }
    changed=$(python3 -c "import json; print(json.load(open('$OUT/inc-replaced.json'))['changed'])")
    [ "$changed" -eq $REPLACED ] || { echo "replaced: $changed counted as changed" >&2; exit 1; }
    echo "run $r: baseline ${base[-1]} s, same ${same[-1]} s, touched ${touched[-1]} s, replaced ${replaced[-1]} s ($sent sent)"
done
b=$(median "${base[@]}") s=$(median "${same[@]}") t=$(median "${touched[@]}") p=$(median "${replaced[@]}")
echo "incremental: $N images: baseline (all sent) $b s; again, nothing changed $s s; all touched $t s; $REPLACED replaced $p s (medians of $RUNS)"
echo "| incremental run, $N images done, nothing changed / all touched / $REPLACED replaced | $s s / $t s / $p s (full run $b s) | exactly the replaced sent | \`BUILD=$BUILD RUNS=$RUNS bench/incremental.sh\` |" >>"$OUT/table.md"
