#!/usr/bin/env bash
# redis.sh - distributed runs (issue 10): three visionbatch processes on one job in
# Redis against one simulator at 6,000 RPM, 3,000 images. Medians of RUNS runs of:
#  shared    429 share <= 2%, one result per image, aggregate rate within 10% of 6,000 RPM
#  kill      one of the three SIGKILLed a third of the way: one result per image
#  restart   Redis stopped (SIGTERM) for 5 s mid-run and started again on its
#            append-only file: one result per image, nothing lost
#  budget    a $0.05 budget shared by three workers: what the simulator billed <= it
# Usage: BUILD=build RUNS=3 bench/redis.sh
cd "$(dirname "$0")/.."
source bench/lib.sh
N=3000
images "$OUT/images-3000" $N
export OPENAI_API_KEY=sk-bench-redis

REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vbredis.XXXXXX")
REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
redis_start() {
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" --save '' \
        --appendonly yes --appendfsync always --daemonize no >>"$REDIS_DIR/log" 2>&1 &
    REDIS_PID=$!
    BENCH_PIDS+=("$REDIS_PID")
    until redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; do sleep 0.05; done
}
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
redis_start
trap 'bench_cleanup; rm -rf "$REDIS_DIR"' EXIT

# workers JOB EXTRA...: the publishing run and two workers, in the background; sets PIDS.
workers() {
    local job=$1
    shift
    "$VB" run --redis "$REDIS_URL" --job "$job" --base-url "$SIM_URL" -c 20 "$@" \
        "$OUT/images-3000" 2>"$OUT/redis-w0.err" &
    PIDS=($!)
    until [ -n "$(rcli hget "vb:job:$job:meta" params)" ]; do sleep 0.05; done
    for w in 1 2; do
        "$VB" worker --redis "$REDIS_URL" --job "$job" --base-url "$SIM_URL" -c 20 "$@" \
            2>"$OUT/redis-w$w.err" &
        PIDS+=($!)
    done
}

# one_each JOB: prints "results/unique ids" of the job's export (and, on stderr, the
# items sent more than once by this process, attempts > 1).
one_each() {
    "$VB" export --redis "$REDIS_URL" --job "$1" -o "$OUT/redis-export.jsonl" 2>/dev/null
    python3 -c "
import json
import sys
lines = [json.loads(l) for l in open('$OUT/redis-export.jsonl')]
ids = [l['id'] for l in lines]
retried = sum(l['attempts'] > 1 for l in lines)
print(f'    ({retried} items with attempts > 1)', file=sys.stderr)
print(f'{len(ids)}/{len(set(ids))}')"
}

start_sim redis --rpm 6000 --latency-ms 20
SIM_PID=${BENCH_PIDS[-1]}
shares=() rates=() walls=() kills=() restarts=()
for r in $(seq 1 "$RUNS"); do
    rcli flushall >/dev/null
    sim_reset
    t0=$(now_s)
    workers "shared$r"
    for p in "${PIDS[@]}"; do wait "$p" || true; done
    t1=$(now_s)
    req=$(sim_stat requests) rl=$(sim_stat rate_limited)
    first=$(sim_stat first_request_ms) last=$(sim_stat last_response_ms)
    shares+=("$(python3 -c "print(round(100 * $rl / max($req, 1), 2))")")
    rates+=("$(python3 -c "print(round(($req - 1) / (($last - $first) / 60000.0)))")")
    walls+=("$(python3 -c "print(round($t1 - $t0, 2))")")
    echo "  shared run $r: wall ${walls[-1]} s, requests $req, 429s $rl (${shares[-1]}%), aggregate ${rates[-1]} rpm, results/unique $(one_each "shared$r")"

    rcli flushall >/dev/null
    sim_reset
    workers "kill$r" --visibility-timeout 5
    until [ "$(rcli hlen "vb:job:kill$r:results")" -gt 1000 ]; do sleep 0.05; done
    kill -KILL "${PIDS[2]}"
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    taken=$(cat "$OUT"/redis-w0.err "$OUT"/redis-w1.err | sed -n 's/.* \([0-9]*\) items taken over.*/\1/p' | paste -sd+ | bc)
    kills+=("$(one_each "kill$r")")
    echo "  kill run $r: results/unique ${kills[-1]}, $taken items taken over, sim requests $(sim_stat requests)"

    rcli flushall >/dev/null
    sim_reset
    workers "restart$r"
    until [ "$(rcli hlen "vb:job:restart$r:results")" -gt 1000 ]; do sleep 0.05; done
    kill -TERM "$REDIS_PID"
    wait "$REDIS_PID" 2>/dev/null || true
    sleep 5
    redis_start
    for p in "${PIDS[@]}"; do wait "$p" || true; done
    restarts+=("$(one_each "restart$r")")
    echo "  restart run $r: results/unique ${restarts[-1]}, sim requests $(sim_stat requests)"
done
kill "$SIM_PID" 2>/dev/null || true
SHARE=$(median "${shares[@]}") RATE=$(median "${rates[@]}") WALL=$(median "${walls[@]}")
echo "redis shared: 429 share $SHARE% (target <= 2%), aggregate $RATE rpm (target 5,400-6,600), wall $WALL s"
echo "redis kill: results/unique per run: ${kills[*]} (target $N/$N)"
echo "redis restart: results/unique per run: ${restarts[*]} (target $N/$N)"
echo "| redis: 3 workers, sim 6,000 RPM, 3,000 images | 429s $SHARE%, aggregate $RATE rpm, wall $WALL s | <= 2%, 5,400-6,600 rpm | \`BUILD=$BUILD RUNS=$RUNS bench/redis.sh\` |" >>"$OUT/table.md"
echo "| redis: one of 3 workers SIGKILLed | results/unique ${kills[*]} | $N/$N each run | \`BUILD=$BUILD RUNS=$RUNS bench/redis.sh\` |" >>"$OUT/table.md"
echo "| redis: Redis stopped 5 s mid-run, restarted | results/unique ${restarts[*]} | $N/$N each run | \`BUILD=$BUILD RUNS=$RUNS bench/redis.sh\` |" >>"$OUT/table.md"

start_sim redis-budget --latency-ms 30
rcli flushall >/dev/null
sim_reset
workers budget --detail high --budget 0.05
for p in "${PIDS[@]}"; do wait "$p" || true; done
billed=$(python3 -c "print(round(($(sim_stat prompt_tokens) * 0.15 + $(sim_stat completion_tokens) * 0.60) / 1e6, 6))")
echo "redis budget: billed \$$billed of a shared \$0.05 (target <= 0.05), results/unique $(one_each budget)"
echo "| redis: \$0.05 budget shared by 3 workers | billed \$$billed | <= \$0.05 | \`BUILD=$BUILD RUNS=$RUNS bench/redis.sh\` |" >>"$OUT/table.md"
