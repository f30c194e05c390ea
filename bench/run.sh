#!/usr/bin/env bash
# run.sh BUILD - installs what the benches need (bench/setup.sh), runs every benchmark
# and writes the table to BENCHMARKS.md and the chart to bench/throughput.png.
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD=${1:-build}
export RUNS=${RUNS:-3}
bench/setup.sh
mkdir -p bench/out
: >bench/out/table.md
load_before=$(cut -d ' ' -f 1-3 /proc/loadavg)
t0=$(date +%s)
# visionbatch against its peers (issue "Prove it"): (a) latency, (b) ceiling, (c) memory,
# (d) rate limit, and the check that all of them send the same bytes
bench/identity.sh
bench/latency.sh
bench/ceiling.sh
bench/memory.sh
bench/rpm.sh
# visionbatch's own promises
bench/engine.sh
bench/limits.sh
bench/journal.sh
bench/estimate.sh
bench/resize.sh
gnuplot -e "out='bench/throughput.png'" bench/chart.gp
minutes=$((($(date +%s) - t0 + 59) / 60))
{
    echo "# Benchmarks"
    echo
    echo "Written by \`make bench\` on $(date -u +%Y-%m-%d) in $minutes minutes, $(nproc) cores"
    echo "($(grep -m 1 'model name' /proc/cpuinfo | cut -d : -f 2 | sed 's/^ //')), $(uname -m);"
    echo "load average $load_before before, $(cut -d ' ' -f 1-3 /proc/loadavg) after (other work on"
    echo "the machine shows here). Medians of $RUNS runs. Each row names the command that"
    echo "reproduces it (\`BENCH_CLIENTS=\"visionbatch curl\"\` limits a peer bench to some clients)."
    echo
    echo "Peers (bench/peers/), all fed the request bodies visionbatch itself sent, recorded by"
    echo "\`visionbatch-sim --record-requests\` (bench/identity.sh proves the bytes are the same):"
    echo "**node**: the official OpenAI Node SDK (\`openai\` $(node -p "require('./bench/peers/node/node_modules/openai/package.json').version" 2>/dev/null)"
    echo "from npm) with a bounded pool of async workers; **curl**: \`curl --parallel"
    echo "--parallel-max N -K config\` ($(curl --version | head -n 1 | cut -d ' ' -f 2)); **aiohttp**: Python asyncio,"
    echo "semaphore + gather as in the article and the OpenAI cookbook (python3-aiohttp"
    echo "$(/usr/bin/python3 -c 'import aiohttp; print(aiohttp.__version__)' 2>/dev/null))."
    echo "The peers get their bodies ready-made; visionbatch reads, checks, hashes and encodes each"
    echo "image itself, inside the CPU time measured."
    echo
    echo "![throughput vs concurrency](bench/throughput.png)"
    echo
    echo "| scenario | result | reference | command |"
    echo "|---|---|---|---|"
    cat bench/out/table.md
} >BENCHMARKS.md
cat BENCHMARKS.md
