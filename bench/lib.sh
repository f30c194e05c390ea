# lib.sh - shared by the benchmarks (sourced). Servers run on loopback ports the kernel
# picks; every process started is stopped on exit.
set -euo pipefail
BUILD=${BUILD:-build}
VB="$BUILD/visionbatch"
SIM="$BUILD/visionbatch-sim"
GEN="$BUILD/vb-sample-images"
RUNS=${RUNS:-3}
OUT=bench/out
mkdir -p "$OUT"
BENCH_PIDS=()
bench_cleanup() {
    local p
    for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${BENCH_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap bench_cleanup EXIT

# start_sim NAME [options]: starts the simulator; sets SIM_URL.
start_sim() {
    local name=$1
    shift
    rm -f "$OUT/$name.url" # a name used before must not yield the old server's URL
    "$SIM" --port 0 "$@" >"$OUT/$name.url" 2>"$OUT/$name.log" &
    BENCH_PIDS+=($!)
    local i
    for i in $(seq 1 200); do
        [ -s "$OUT/$name.url" ] && break
        sleep 0.05
    done
    SIM_URL=$(head -n 1 "$OUT/$name.url")
}

sim_reset() { curl -sf -X POST "${SIM_URL%/v1}/sim/reset" >/dev/null; }
sim_stat() { python3 "./scripts/sim_stat.py" "$SIM_URL" "$1"; }

# images DIR N: N distinct small product images in DIR, made once and reused.
images() {
    local dir=$1 n=$2
    if [ "$(find "$dir" -type f 2>/dev/null | wc -l)" -ne "$n" ]; then
        rm -rf "$dir"
        "$GEN" --seed 11 --min-side 128 --max-side 384 --format jpeg "$dir" "$n" >/dev/null
    fi
}

# median V...: the median of the numbers given.
median() {
    printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}

now_s() { date +%s.%N; }

# cycle_manifest FILE N [DIR]: a .jsonl manifest of N items cycling over the sorted files
# of DIR (default images-2000; relative to $OUT, where FILE is written). Each item has an
# id of its own ("item-000001"...): a path listed twice under one id is a duplicate_id
# error, not a second request.
cycle_manifest() {
    python3 -c "
import json, os, sys
d = sys.argv[3]
files = sorted(os.listdir(os.path.join('$OUT', d)))
with open(sys.argv[1], 'w') as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({'id': 'item-%06d' % i, 'image': d + '/' + files[i % len(files)]}) + '\\n')" \
        "$1" "$2" "${3:-images-2000}"
}

# PROVIDER=anthropic|gemini runs a benchmark over that provider's native protocol (the
# simulator speaks all three); openai (default) over chat/completions.
PROVIDER=${PROVIDER:-openai}
# target_args: the run options that aim visionbatch at the simulator in $PROVIDER's
# protocol, with a model of that provider.
target_args() {
    case "$PROVIDER" in
    openai) echo "--base-url $SIM_URL" ;;
    anthropic) echo "--provider anthropic --base-url ${SIM_URL%/v1} -m claude-sonnet-4-5" ;;
    gemini) echo "--provider gemini --base-url ${SIM_URL%/v1} -m gemini-2.5-flash" ;;
    *) echo "unknown PROVIDER $PROVIDER" >&2; exit 2 ;;
    esac
}
# provider_label: how a table row names the protocol (empty for OpenAI's, as before).
provider_label() { [ "$PROVIDER" = openai ] || echo " [$PROVIDER]"; }
