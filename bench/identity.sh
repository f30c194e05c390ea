#!/usr/bin/env bash
# identity.sh - the peers send byte-identical requests: visionbatch (with its usual
# preparing threads and concurrency) and each peer send the same image set to a
# simulator recording every body (--record-requests); the sorted SHA-256 digests of the
# recorded bodies must be the same for every client. Done for both body sets the other
# scenarios use: images-2000 (small product images) and images-30k (~30 KB JPEGs).
# Usage: BUILD=build bench/identity.sh
cd "$(dirname "$0")/.."
source bench/lib.sh
source bench/peers/lib.sh
images "$OUT/images-2000" 2000
images30k
make_bodies small images-2000 2000
make_bodies 30k images-30k 1000
for set in "small images-2000 2000" "30k images-30k 1000"; do
    read -r name dir n <<<"$set"
    make_inputs "$name" "$dir" "$n"
    want="" verdict=pass detail=""
    for client in "${CLIENTS[@]}"; do
        rm -f "$OUT/identity.jsonl"
        start_sim "identity-$client" --record-requests "$OUT/identity.jsonl" --no-decode
        run_client "$client" "$SIM_URL" 50 "$name" "$n" --no-journal
        kill "${BENCH_PIDS[-1]}" 2>/dev/null || true
        wait "${BENCH_PIDS[-1]}" 2>/dev/null || true
        got=$(body_digest "$OUT/identity.jsonl")
        echo "identity $name: $client sent $got (ok $OK)"
        [ -z "$want" ] && want=$got
        [ "$got" = "$want" ] || verdict=FAIL
        detail="$detail $client"
    done
    echo "| identical requests, $n bodies ($name set):$detail | $verdict: digest of sorted body SHA-256s \`${want#* }\` for all | every peer sends visionbatch's bytes | \`BUILD=$BUILD bench/identity.sh\` |" >>"$OUT/table.md"
    [ $verdict = pass ] || { echo "identity: the clients sent different bodies" >&2; exit 1; }
done
