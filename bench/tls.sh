#!/usr/bin/env bash
# tls.sh - HTTP/2 over TLS against plain HTTP (issue #17 point 8): 1,000 images through
# Debian's nginx (TLS + HTTP/2, a CA made here, trusted with --ca-cert) in front of the
# simulator, at -c 100, 200 and 500, beside the same images over plain HTTP straight to
# the simulator at the same concurrency. The simulator answers after 100 ms (lognormal,
# p99 150 ms), --no-decode (its CPU is not what is measured).
# Prints (and adds rows to $OUT/table.md), per concurrency: the median wall seconds of RUNS
# runs and the connections used (HTTP/2: distinct connections in nginx's log; plain
# HTTP: the most established connections to the simulator seen while it ran).
# Usage: BUILD=build RUNS=3 bench/tls.sh
cd "$(dirname "$0")/.."
source bench/lib.sh
fail() {
    echo "tls.sh: $*" >&2
    exit 1
}
NET_PIDS_VAR=BENCH_PIDS
source tests/integration/net_lib.inc
N=1000
images "$OUT/images-1000" $N
make_ca "$OUT/tls-pki"
start_sim tls --latency-ms 100 --latency-p99-ms 150 --seed 7 --no-decode
sim_hostport=${SIM_URL#http://}
sim_hostport=${sim_hostport%%/*}
sim_port=${sim_hostport#*:}
rm -rf "$OUT/tls-nginx"
start_nginx_tls "$OUT/tls-nginx" "$OUT/tls-pki" "$sim_hostport"
export OPENAI_API_KEY=sk-bench
trust=(--ca-cert "$OUT/tls-pki/ca.pem")
# a build from before --ca-cert (to measure it against this one): not verified
"$VB" run --help | grep -q -- --ca-cert || trust=(--insecure)

# one_run URL C: prints "wall_s connections"
one_run() {
    local url=$1 c=$2 before t0 t1 conns peak=0 sampler
    before=$(nginx_lines)
    if [ "${url#https}" = "$url" ]; then # plain HTTP: sample the established connections
        (
            while :; do
                ss -Htnp state established "( dport = :$sim_port )" | grep -c '"visionbatch"' || true
                sleep 0.02
            done
        ) >"$OUT/tls-ss.txt" &
        sampler=$!
    fi
    t0=$(now_s)
    "$VB" run --base-url "$url" "${trust[@]}" --no-journal --no-cache -q \
        -c "$c" -o "$OUT/tls-out.jsonl" "$OUT/images-1000" 2>"$OUT/tls-err.txt" ||
        fail "run at -c $c against $url failed: $(tail -1 "$OUT/tls-err.txt")"
    t1=$(now_s)
    [ "$(grep -c '"status":"ok"' "$OUT/tls-out.jsonl")" -eq $N ] || fail "not $N answers"
    if [ -n "${sampler:-}" ]; then
        kill "$sampler" 2>/dev/null || true
        wait "$sampler" 2>/dev/null || true
        conns=$(sort -n "$OUT/tls-ss.txt" | tail -1)
    else
        conns=$(nginx_conns_since "$before")
    fi
    echo "$(python3 -c "print(round($t1 - $t0, 3))") $conns"
}

printf '| -c | h2 over TLS: wall s | h2 connections | plain HTTP: wall s | plain connections |\n'
printf '|---:|---:|---:|---:|---:|\n'
for c in ${CONCURRENCIES:-100 200 500}; do
    h2_walls=() h2_conns=() h1_walls=() h1_conns=()
    for _ in $(seq 1 "$RUNS"); do
        read -r w n < <(one_run "$NGINX_URL" "$c")
        h2_walls+=("$w") h2_conns+=("$n")
        read -r w n < <(one_run "$SIM_URL" "$c")
        h1_walls+=("$w") h1_conns+=("$n")
    done
    row=$(printf '| %s | %s | %s | %s | %s |' "$c" "$(median "${h2_walls[@]}")" \
        "$(median "${h2_conns[@]}")" "$(median "${h1_walls[@]}")" "$(median "${h1_conns[@]}")")
    echo "$row"
    echo "| TLS + HTTP/2 (nginx) vs plain HTTP, $N images, c=$c, 100 ms server | h2 $(median "${h2_walls[@]}") s over $(median "${h2_conns[@]}") connections; plain $(median "${h1_walls[@]}") s over $(median "${h1_conns[@]}") | h2 no slower than plain, one connection per ~100 requests at once | \`BUILD=$BUILD RUNS=$RUNS bench/tls.sh\` |" >>"$OUT/table.md"
done
