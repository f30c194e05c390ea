#!/usr/bin/env bash
# demo.sh BUILD_DIR - a real batch, end to end, on a fresh machine.
#
# Generates a few hundred product-like sample images, then sends them:
#  - to your provider when OPENAI_API_KEY (or VISIONBATCH_API_KEY) is set, at
#    OPENAI_BASE_URL or OpenAI's API;
#  - otherwise to the bundled simulator, started on a free loopback port.
# Results land in demo/results.jsonl; the summary is printed at the end.
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
count=${DEMO_IMAGES:-300}
images=demo/images
mkdir -p demo

if [ "$(find "$images" -type f 2>/dev/null | wc -l)" -lt "$count" ]; then
    rm -rf "$images"
    "$build/vb-sample-images" --seed 7 --min-side 320 --max-side 1280 "$images" "$count"
fi

prompt="Describe this product for an online catalog in one sentence, then list its main color."
sim_pid=""
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null; true; }
trap cleanup EXIT

if [ -n "${OPENAI_API_KEY:-}${VISIONBATCH_API_KEY:-}" ]; then
    echo "demo: sending $count images to ${OPENAI_BASE_URL:-https://api.openai.com/v1} (your API key)"
    args=()
else
    "$build/visionbatch-sim" --port 0 --latency-ms 300 --jitter-ms 150 >demo/sim.url 2>demo/sim.log &
    sim_pid=$!
    for _ in $(seq 1 100); do [ -s demo/sim.url ] && break; sleep 0.05; done
    url=$(head -n 1 demo/sim.url)
    [ -n "$url" ] || { echo "demo: the simulator did not start (see demo/sim.log)" >&2; exit 1; }
    echo "demo: no API key set: sending $count images to the bundled simulator at $url"
    args=(--base-url "$url")
fi

status=0
"$build/visionbatch" run "${args[@]}" --concurrency 32 --detail low --resize auto \
    --prompt "$prompt" --output demo/results.jsonl "$images" || status=$?
echo
echo "demo: $(wc -l <demo/results.jsonl) result lines in demo/results.jsonl; first one:"
head -n 1 demo/results.jsonl | cut -c 1-400
exit $status
