#!/usr/bin/env bash
# batch-api.sh - 50,000 small images through OpenAI's batch API on the simulator: peak
# RSS (bounded by one batch file's worth, not by the job: compared with 5,000 images in
# the same go), the time to prepare and submit every batch (--no-wait), and the time to
# collect them all once ended. A manifest cycles over 2,000 distinct files; dedupe is off
# so that every item goes in a batch line. The simulator ends a batch 2 s after it is
# created (--batch-seconds) and checks image headers only (--no-decode).
# Usage: BUILD=build RUNS=3 bench/batch-api.sh
cd "$(dirname "$0")/.."
source bench/lib.sh
images "$OUT/images-2000" 2000
start_sim batchapi --no-decode --batch-seconds 2
for n in 5000 50000; do
    cycle_manifest "$OUT/manifest-$n.jsonl" $n
    peaks=()
    submits=()
    collects=()
    for r in $(seq 1 "$RUNS"); do
        sim_reset
        rm -rf "$OUT"/batchapi.journal*
        /usr/bin/time -f '%M %e' -o "$OUT/batchapi.submit" \
            "$VB" run --base-url "$SIM_URL" --batch-api --no-wait --no-dedupe -q \
            --journal "$OUT/batchapi.journal" -o "$OUT/batchapi.jsonl" "$OUT/manifest-$n.jsonl" 2>/dev/null
        read -r kb_submit secs_submit <"$OUT/batchapi.submit"
        sleep 2.5
        /usr/bin/time -f '%M %e' -o "$OUT/batchapi.collect" \
            "$VB" run --base-url "$SIM_URL" --batch-api --poll-interval 0.5 --no-dedupe -q \
            --journal "$OUT/batchapi.journal" -o "$OUT/batchapi.jsonl" "$OUT/manifest-$n.jsonl"
        read -r kb_collect secs_collect <"$OUT/batchapi.collect"
        [ "$(grep -c '"status":"ok"' "$OUT/batchapi.jsonl")" -eq "$n" ] ||
            { echo "batch-api: $n images did not all come back ok" >&2; exit 1; }
        peaks+=("$((kb_submit > kb_collect ? kb_submit : kb_collect))")
        submits+=("$secs_submit")
        collects+=("$secs_collect")
    done
    mib=$(python3 -c "print(round($(median "${peaks[@]}") / 1024, 1))")
    [ $n = 5000 ] && mib_small=$mib
    flat=$(python3 -c "print('%+.1f%% vs 5,000' % (100 * ($mib / $mib_small - 1)))")
    batches=$(sim_stat batch.batches)
    echo "batch-api: $n images: median peak RSS $mib MiB ($flat), submit $(median "${submits[@]}") s, collect $(median "${collects[@]}") s, $batches batches ($RUNS runs)"
    echo "| (c) batch API, $n images: peak RSS | $mib MiB ($flat) | bounded by one batch file, flat vs 5,000 | \`BUILD=$BUILD RUNS=$RUNS bench/batch-api.sh\` |" >>"$OUT/table.md"
    echo "| (c) batch API, $n images: prepare + submit (--no-wait) / collect | $(median "${submits[@]}") s / $(median "${collects[@]}") s, $batches batches | - | \`BUILD=$BUILD RUNS=$RUNS bench/batch-api.sh\` |" >>"$OUT/table.md"
done
