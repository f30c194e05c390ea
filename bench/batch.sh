#!/usr/bin/env bash
# batch.sh - --batch-size 1 vs 5 on 1,000 images against a server with 100 ms latency at
# concurrency 20: requests that reach the server, prompt tokens billed, wall time
# (medians of RUNS runs). Each run also checks every result names its own image's hash.
# Usage: BUILD=build RUNS=3 bench/batch.sh
cd "$(dirname "$0")/.."
source bench/lib.sh
N=1000 C=20 LAT=100
images "$OUT/images-batch-1000" $N
start_sim batch --latency-ms $LAT
declare -A REQ TOK WALL
for size in 1 5; do
    walls=() reqs=() toks=()
    for r in $(seq 1 "$RUNS"); do
        sim_reset
        t0=$(now_s)
        "$VB" run --base-url "$SIM_URL" -c $C --batch-size $size -q --no-journal \
            -o "$OUT/batch-$size.jsonl" "$OUT/images-batch-1000"
        t1=$(now_s)
        walls+=("$(python3 -c "print(round($t1 - $t0, 3))")")
        reqs+=("$(sim_stat requests)")
        toks+=("$(sim_stat prompt_tokens)")
        python3 - "$OUT/batch-$size.jsonl" "$N" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == int(sys.argv[2])
for l in lines:
    assert l["status"] == "ok" and l["content_hash"][7:] in l["response"], l
PY
        echo "batch $size run $r: wall ${walls[-1]} s, requests ${reqs[-1]}, prompt tokens ${toks[-1]}"
    done
    WALL[$size]=$(median "${walls[@]}")
    REQ[$size]=$(median "${reqs[@]}")
    TOK[$size]=$(median "${toks[@]}")
done
saved=$((TOK[1] - TOK[5]))
echo "batch: $N images, c=$C, ${LAT} ms server: batch 1: ${REQ[1]} requests, ${TOK[1]} prompt" \
     "tokens, ${WALL[1]} s; batch 5: ${REQ[5]} requests, ${TOK[5]} prompt tokens" \
     "($saved fewer), ${WALL[5]} s (medians of $RUNS)"
echo "| --batch-size 1 vs 5, 1,000 images, c=$C, ${LAT} ms server | requests ${REQ[1]} -> ${REQ[5]}, prompt tokens ${TOK[1]} -> ${TOK[5]} (-$saved), wall ${WALL[1]} s -> ${WALL[5]} s | 200 requests expected; prompt text sent once per 5 images | \`BUILD=$BUILD RUNS=$RUNS bench/batch.sh\` |" >>"$OUT/table.md"
