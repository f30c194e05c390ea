#!/usr/bin/env bash
# resize.sh - what `--resize auto` saves: 50 camera-sized (4000x3000) JPEGs sent to the
# simulator with and without it. Reports the image bytes uploaded (decoded data URLs in
# the simulator's --record-requests file), the request bytes, the image tokens the
# simulator billed (which must not change) and the median wall time over RUNS runs.
# Usage: BUILD=build RUNS=3 [MODEL=gpt-4o] bench/resize.sh
cd "$(dirname "$0")/.."
source bench/lib.sh
N=50 C=8
MODEL=${MODEL:-gpt-4o}
DIR="$OUT/images-4000x3000-$N"

# big_images DIR N: N distinct 4000x3000 product JPEGs in DIR, made once and reused
# (vb-sample-images --size, or 3000x3000 ones stretched by the vips command).
big_images() {
    local dir=$1 n=$2 help f
    [ "$(find "$dir" -type f -name '*.jpg' 2>/dev/null | wc -l)" -eq "$n" ] && return
    rm -rf "$dir" "$dir.square"
    help=$("$GEN" --help 2>&1 || true)
    if [[ $help == *--size* ]]; then
        "$GEN" --seed 31 --size 4000x3000 --format jpeg "$dir" "$n" >/dev/null
        return
    fi
    "$GEN" --seed 31 --min-side 3000 --max-side 3000 --format jpeg "$dir.square" "$n" >/dev/null
    mkdir -p "$dir"
    for f in "$dir.square"/*.jpg; do
        vips resize "$f" "$dir/$(basename "$f")[Q=85]" 1.3333334 --vscale 1
    done
    rm -rf "$dir.square"
}

# recorded FILE: "IMAGE_BYTES BODY_BYTES" of the recorded requests.
recorded() {
    python3 - "$1" <<'PY'
import base64, json, sys
images = bodies = 0
for line in open(sys.argv[1], "rb"):
    if not line.strip():
        continue
    bodies += len(line.rstrip(b"\n"))
    for part in json.loads(line)["messages"][0]["content"]:
        if part.get("type") == "image_url":
            images += len(base64.b64decode(part["image_url"]["url"].split(",", 1)[1]))
print(images, bodies)
PY
}

big_images "$DIR" $N
REC="$OUT/resize.requests.jsonl"
: >"$REC"
start_sim resize --record-requests "$REC"

declare -A wall tokens images bodies
for mode in off auto; do
    walls=()
    for r in $(seq 1 "$RUNS"); do
        sim_reset
        : >"$REC" # the simulator appends: emptied, it holds this run only
        t0=$(now_s)
        "$VB" run --base-url "$SIM_URL" -m "$MODEL" -c $C -q --no-journal --resize "$mode" \
            -o "$OUT/resize.jsonl" "$DIR"
        t1=$(now_s)
        walls+=("$(python3 -c "print(round($t1 - $t0, 3))")")
        counts=$(recorded "$REC")
        read -r img body <<<"$counts"
        tok=$(sim_stat image_tokens)
        billed=$(sim_stat images_billed)
        echo "resize $mode, run $r: wall ${walls[-1]} s, images billed $billed," \
             "image tokens $tok, image bytes $img, request bytes $body"
        [ "$billed" -eq $N ] || { echo "resize: $billed images billed, expected $N" >&2; exit 1; }
        # bytes and tokens are the same every run; keep the last
        tokens[$mode]=$tok images[$mode]=$img bodies[$mode]=$body
    done
    wall[$mode]=$(median "${walls[@]}")
done

mb() { python3 -c "print(round($1 / 1048576, 2))"; }
ratio=$(python3 -c "print(round(${images[off]} / max(${images[auto]}, 1), 1))")
verdict=pass
[ "${tokens[off]}" -eq "${tokens[auto]}" ] || verdict="FAIL (tokens changed)"
python3 -c "import sys; sys.exit(0 if ${images[off]} >= 5 * ${images[auto]} else 1)" ||
    verdict="FAIL (less than 5x)"
echo "resize: $N images 4000x3000, $MODEL: image bytes $(mb "${images[off]}") MB ->" \
     "$(mb "${images[auto]}") MB (${ratio}x less), request bytes $(mb "${bodies[off]}") MB ->" \
     "$(mb "${bodies[auto]}") MB, image tokens ${tokens[off]} -> ${tokens[auto]}," \
     "median wall ${wall[off]} s -> ${wall[auto]} s over $RUNS runs: $verdict"
echo "| --resize auto, $N JPEGs 4000x3000, $MODEL | uploaded $(mb "${images[off]}") MB -> $(mb "${images[auto]}") MB (${ratio}x less); image tokens ${tokens[off]} -> ${tokens[auto]}; wall ${wall[off]} s -> ${wall[auto]} s | tokens equal, >= 5x less: $verdict | \`BUILD=$BUILD RUNS=$RUNS bench/resize.sh\` |" >>"$OUT/table.md"
