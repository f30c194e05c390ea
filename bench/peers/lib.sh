# peers/lib.sh - runs visionbatch and its peers the same way (sourced after bench/lib.sh).
# The peers: node (official OpenAI SDK, bounded pool), curl (--parallel, -K config),
# aiohttp (asyncio semaphore + gather). They send the bodies visionbatch recorded.
# BENCH_CLIENTS="visionbatch curl" limits a run to some of them.
PEERS_DIR=bench/peers
read -r -a CLIENTS <<<"${BENCH_CLIENTS:-visionbatch node curl aiohttp}"
export OPENAI_API_KEY=sk-bench-not-a-secret
PY_SYS=/usr/bin/python3   # Debian's python, where python3-aiohttp lives

# images30k: $OUT/images-30k, 1,000 distinct 800x600 JPEGs of ~31 KB (quality 92), made
# once and reused.
images30k() {
    local dir="$OUT/images-30k"
    [ "$(find "$dir" -type f 2>/dev/null | wc -l)" -eq 1000 ] && return 0
    rm -rf "$dir"
    "$GEN" --seed 30 --size 800x600 --quality 92 --format jpeg "$dir" 1000 >/dev/null
}

# make_bodies NAME IMGDIR K: records the K request bodies visionbatch sends for the
# sorted files of $OUT/IMGDIR (concurrency 1, one preparing thread: body i is image i's)
# into $OUT/bodies-NAME/. Skipped when already there.
make_bodies() {
    local name=$1 dir=$2 k=$3
    local bodies="$OUT/bodies-$name"
    [ "$(find "$bodies" -name '*.json' 2>/dev/null | wc -l)" -eq "$k" ] && return 0
    rm -rf "$bodies" "$OUT/record-$name.jsonl"
    cycle_manifest "$OUT/manifest-$name-$k.jsonl" "$k" "$dir"
    start_sim "record-$name" --record-requests "$OUT/record-$name.jsonl"
    "$VB" run --base-url "$SIM_URL" -c 1 --prepare-threads 1 -q --no-journal --no-dedupe \
        -o "$OUT/record-$name.out" "$OUT/manifest-$name-$k.jsonl"
    kill "${BENCH_PIDS[-1]}" 2>/dev/null || true
    wait "${BENCH_PIDS[-1]}" 2>/dev/null || true
    python3 "$PEERS_DIR/bodies.py" "$OUT/record-$name.jsonl" "$bodies" >/dev/null
}

# make_inputs NAME IMGDIR N: the manifest (visionbatch) and plan (peers) of N requests
# cycling over IMGDIR: $OUT/manifest-NAME-N.jsonl and $OUT/plan-NAME-N.txt.
make_inputs() {
    local name=$1 dir=$2 n=$3
    cycle_manifest "$OUT/manifest-$name-$n.jsonl" "$n" "$dir"
    python3 "$PEERS_DIR/bodies.py" --plan "$OUT/bodies-$name" "$n" >"$OUT/plan-$name-$n.txt"
}

# client_cmd CLIENT URL C NAME N [VB_OPTIONS...]: sets CMD to the command that sends the
# N requests of NAME with CLIENT at concurrency C (for curl, writes its config first;
# CURL_ANSWER_FILES=1 writes curl's answers to files, which its retries need).
client_cmd() {
    local client=$1 url=$2 c=$3 name=$4 n=$5
    shift 5
    case $client in
        visionbatch)
            CMD=("$VB" run --base-url "$url" -c "$c" -q --no-dedupe -o "$OUT/vb.jsonl" "$@"
                 "$OUT/manifest-$name-$n.jsonl") ;;
        node) CMD=(node "$PEERS_DIR/node/client.mjs" "$url" "$c" "$OUT/plan-$name-$n.txt") ;;
        aiohttp) CMD=("$PY_SYS" "$PEERS_DIR/aio_client.py" "$url" "$c" "$OUT/plan-$name-$n.txt") ;;
        curl)
            local outdir=()
            if [ -n "${CURL_ANSWER_FILES:-}" ]; then
                rm -rf "$OUT/curl-answers"
                mkdir -p "$OUT/curl-answers"
                outdir=("$OUT/curl-answers")
            fi
            python3 "$PEERS_DIR/curl_config.py" "$url" "$OUT/plan-$name-$n.txt" "${outdir[@]}" >"$OUT/curl-$name-$n.cfg"
            CMD=(curl -s --parallel --parallel-max "$c" -K "$OUT/curl-$name-$n.cfg") ;;
    esac
}

# run_client CLIENT URL C NAME N [VB_OPTIONS...]: one timed run. Sets WALL (s), CPU
# (user+system s of the client process and its children, from /usr/bin/time), SYS (the
# system part), RSS (peak KiB) and OK (requests answered 200 in the end, as the client counts them).
run_client() {
    local client=$1
    client_cmd "$@"
    rm -f "$OUT/vb.jsonl" "$OUT/vb.journal"*
    local t0 t1
    t0=$(now_s)
    /usr/bin/time -f '%U %S %M' -o "$OUT/client.time" "${CMD[@]}" >"$OUT/client.out" 2>"$OUT/client.err" || true
    t1=$(now_s)
    local u s
    read -r u s RSS < <(tail -n 1 "$OUT/client.time") # after "Command exited with ..."
    WALL=$(python3 -c "print(round($t1 - $t0, 3))")
    CPU=$(python3 -c "print(round($u + $s, 3))")
    SYS=$s
    case $client in
        visionbatch) OK=$(grep -c '"status":"ok"' "$OUT/vb.jsonl" || true) ;;
        curl) OK=$(grep -c '^200$' "$OUT/client.out" || true) ;;
        *) OK=$(awk '/^ok /{print $2}' "$OUT/client.out") ;;
    esac
}

# body_digest FILE: one digest of the multiset of bodies in a --record-requests file.
body_digest() {
    python3 -c "
import hashlib, sys
hs = sorted(hashlib.sha256(l.rstrip(b'\n')).hexdigest() for l in open(sys.argv[1], 'rb') if l.strip())
print(len(hs), hashlib.sha256(''.join(hs).encode()).hexdigest()[:16])" "$1"
}

# start_nginx NAME: nginx on a free loopback port answering every POST with a canned
# chat completion at once (bench/peers/nginx.conf); sets NGINX_URL.
start_nginx() {
    local name=$1 port
    local dir="$OUT/nginx-$name"
    rm -rf "$dir"
    mkdir -p "$dir/logs"
    port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
    sed -e "s|@PORT@|$port|" -e "s|@DIR@|$PWD/$dir|" "$PEERS_DIR/nginx.conf" >"$dir/nginx.conf"
    nginx -p "$PWD/$dir" -c "$PWD/$dir/nginx.conf" -e "$PWD/$dir/logs/error.log" &
    BENCH_PIDS+=($!)
    local i
    for i in $(seq 1 100); do
        curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/v1/chat/completions" && break
        sleep 0.05
    done
    NGINX_URL="http://127.0.0.1:$port/v1"
}
