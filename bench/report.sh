#!/usr/bin/env bash
# report.sh - writes BENCHMARKS.md from the rows the benches left in bench/out/table.md
# and draws bench/throughput.png (gnuplot, bench/chart.gp) from their chart data.
# bench/run.sh calls it at the end; after rerunning one bench, run it again by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
gnuplot -e "out='bench/throughput.png'" bench/chart.gp
{
    echo "# Benchmarks"
    echo
    echo "Written by \`make bench\` on $(date -u +%Y-%m-%d)${BENCH_MINUTES:+ in $BENCH_MINUTES minutes}, $(nproc) cores"
    echo "($(grep -m 1 'model name' /proc/cpuinfo | cut -d : -f 2 | sed 's/^ //')), $(uname -m);"
    echo "load average ${BENCH_LOAD_BEFORE:-?} before, $(cut -d ' ' -f 1-3 /proc/loadavg) after (other work on"
    echo "the machine shows here). Medians of ${RUNS:-3} runs. Each row names the command that"
    echo "reproduces it (\`BENCH_CLIENTS=\"visionbatch curl\"\` limits a peer bench to some clients)."
    [ -n "${BENCH_PROVENANCE:-}" ] && echo "$BENCH_PROVENANCE"
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
    if [ -f bench/notes.md ]; then
        echo
        cat bench/notes.md
    fi
} >BENCHMARKS.md
cat BENCHMARKS.md
