#!/usr/bin/env bash
# ceiling.sh - scenario (b): the client's own ceiling. nginx on a loopback port answers
# every request at once with a canned chat completion (bench/peers/nginx.conf, one
# worker); each client sends 5,000 requests of ~31 KB JPEGs (a manifest cycling over
# images-30k, --no-dedupe; the peers send the same bodies) at concurrency 10, 50 and
# 200. Measured: images/s (wall clock) and the client's CPU seconds per 1,000 images
# (user + system of the client process and its children, /usr/bin/time), medians of
# RUNS runs. visionbatch runs with its defaults (+journal: journal and the full decode
# check of every image), without the journal, and +trusted (no journal, headers checked
# but no decode: --no-decode-check).
# Targets for visionbatch: >= 5,000 images/s, CPU per image <= 1/5 of the best peer's.
# Writes rows to $OUT/table.md and throughput points to $OUT/chart-ceiling.dat.
# Usage: BUILD=build RUNS=3 bench/ceiling.sh
cd "$(dirname "$0")/.."
source bench/lib.sh
source bench/peers/lib.sh
N=5000
images30k
make_bodies 30k images-30k 1000
make_inputs 30k images-30k $N
start_nginx ceiling
CONCS=(${CONCURRENCIES:-10 50 200})
VARIANTS=("${CLIENTS[@]}")
case " ${CLIENTS[*]} " in
    *" visionbatch "*) VARIANTS+=("visionbatch+journal" "visionbatch+trusted") ;;
esac
echo "# concurrency ${VARIANTS[*]} (images/s)" >"$OUT/chart-ceiling.dat"
declare -A RATE CPUK SYSK
for c in "${CONCS[@]}"; do
    point="$c"
    for v in "${VARIANTS[@]}"; do
        client=${v%%+*}
        case $v in
            *+journal) opts=() ;;                                # the defaults
            *+trusted) opts=(--no-journal --no-decode-check) ;; # headers checked, no decode
            *) opts=(--no-journal) ;;
        esac
        rates=() cpus=() syss=()
        for r in $(seq 1 "$RUNS"); do
            run_client "$client" "$NGINX_URL" "$c" 30k $N "${opts[@]}"
            [ "$OK" -eq $N ] || echo "  $v: only $OK of $N ok" >&2
            rates+=("$(python3 -c "print(round($N / $WALL))")")
            cpus+=("$(python3 -c "print(round($CPU * 1000 / $N, 3))")")
            syss+=("$(python3 -c "print(round($SYS * 1000 / $N, 3))")")
            echo "  ceiling c=$c $v run $r: wall $WALL s, ${rates[-1]} images/s, CPU $CPU s (${cpus[-1]} s per 1,000), peak RSS $RSS KiB, ok $OK"
        done
        RATE[$v,$c]=$(median "${rates[@]}")
        CPUK[$v,$c]=$(median "${cpus[@]}")
        SYSK[$v,$c]=$(median "${syss[@]}")
        point="$point ${RATE[$v,$c]}"
        echo "ceiling c=$c $v: ${RATE[$v,$c]} images/s, ${CPUK[$v,$c]} CPU s per 1,000 images"
    done
    echo "$point" >>"$OUT/chart-ceiling.dat"
    # the best (least CPU) peer at this concurrency
    best="" best_cpu=""
    for v in "${VARIANTS[@]}"; do
        case $v in visionbatch*) continue ;; esac
        if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if ${CPUK[$v,$c]} < $best_cpu else 1)"; then
            best=$v best_cpu=${CPUK[$v,$c]}
        fi
    done
    for v in "${VARIANTS[@]}"; do
        ref=""
        case $v in
            visionbatch*)
                [ -n "$best" ] && ref=$(python3 -c "
r = ${CPUK[$v,$c]} / $best_cpu
print('CPU %.2fx the best peer (%s, %s s/1,000): target <= 0.20 %s; rate target >= 5,000/s %s' % (r, '$best', $best_cpu, 'pass' if r <= 0.2 else 'MISS', 'pass' if ${RATE[$v,$c]} >= 5000 else 'MISS'))") ;;
        esac
        echo "| (b) instant nginx, ~31 KB JPEGs, c=$c, $N images: $v | ${RATE[$v,$c]} images/s, ${CPUK[$v,$c]} CPU s per 1,000 images (system ${SYSK[$v,$c]}) | $ref | \`BUILD=$BUILD RUNS=$RUNS bench/ceiling.sh\` |" >>"$OUT/table.md"
    done
done
