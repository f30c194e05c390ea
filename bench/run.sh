#!/usr/bin/env bash
# run.sh BUILD - runs every benchmark and writes the table to BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD=${1:-build}
export RUNS=${RUNS:-3}
mkdir -p bench/out
: >bench/out/table.md
bench/engine.sh
bench/memory.sh
bench/limits.sh
bench/journal.sh
bench/estimate.sh
bench/resize.sh
bench/batch.sh
bench/redis.sh
bench/monitor.sh
{
    echo "# Benchmarks"
    echo
    echo "Written by \`make bench\` on $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m);"
    echo "medians of $RUNS runs. Each row names the command that reproduces it."
    echo
    echo "| scenario | result | reference | command |"
    echo "|---|---|---|---|"
    cat bench/out/table.md
} >BENCHMARKS.md
cat BENCHMARKS.md
