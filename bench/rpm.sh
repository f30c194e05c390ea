#!/usr/bin/env bash
# rpm.sh - scenario (d): a server enforcing 6,000 requests a minute (visionbatch-sim
# --rpm 6000: GCRA, 1 s burst, 429 with retry-after, x-ratelimit-* headers), 20 ms
# latency; each client sends 1,000 small images at concurrency 50 without being told the
# limit. Measured: the share of requests the server rejected with 429, the images that
# came back ok, and the wall time (ideal 10 s), medians of RUNS runs. The peers keep
# their usual retry behaviour (SDK: 2 retries; curl: --retry 3; aiohttp: 3 retries with
# 1 s exponential backoff); visionbatch its defaults.
# Usage: BUILD=build RUNS=3 bench/rpm.sh
cd "$(dirname "$0")/.."
source bench/lib.sh
source bench/peers/lib.sh
export CURL_ANSWER_FILES=1 # curl's --retry needs its answers in real files
N=1000 C=50
images "$OUT/images-2000" 2000
make_bodies small images-2000 2000
make_inputs small images-2000 $N
start_sim rpm --rpm 6000 --latency-ms 20 --no-decode
for client in "${CLIENTS[@]}"; do
    shares=() oks=() walls=()
    for r in $(seq 1 "$RUNS"); do
        sleep 1.2 # let the limiter's burst refill between runs
        sim_reset
        run_client "$client" "$SIM_URL" $C small $N --no-journal
        req=$(sim_stat requests)
        rl=$(sim_stat rate_limited)
        shares+=("$(python3 -c "print(round(100 * $rl / max($req, 1), 2))")")
        oks+=("$OK")
        walls+=("$WALL")
        echo "  rpm $client run $r: wall $WALL s, requests $req, 429s $rl (${shares[-1]}%), ok $OK"
    done
    share=$(median "${shares[@]}")
    ok=$(median "${oks[@]}")
    wall=$(median "${walls[@]}")
    echo "rpm $client: 429 share $share%, ok $ok/$N, wall $wall s"
    echo "| (d) sim at 6,000 RPM, limit not given, c=$C, $N images: $client | $share% of requests rejected (429); ok $ok/$N; wall $wall s | ideal 10 s | \`BUILD=$BUILD RUNS=$RUNS bench/rpm.sh\` |" >>"$OUT/table.md"
done
