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
bench/tls.sh
bench/limits.sh
bench/journal.sh
bench/estimate.sh
bench/incremental.sh
bench/resize.sh
bench/batch.sh
bench/redis.sh
bench/monitor.sh
export BENCH_MINUTES=$((($(date +%s) - t0 + 59) / 60)) BENCH_LOAD_BEFORE=$load_before
bench/report.sh
