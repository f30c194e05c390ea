# estimate.sh - `visionbatch estimate` counts exactly the image tokens the provider bills:
# the worked examples of docs/provider-facts.md §2, then a mixed set of sizes, formats and
# bad files, estimated and then really sent to the simulator for gpt-4o (tiles),
# gpt-4o-mini (tiles, other constants) and gpt-4.1-mini (patches): the estimate's
# image_tokens equals what the simulator billed, in total and image for image, and its
# input_tokens equals the prompt_tokens of each answer.
source "$(dirname "$0")/lib.sh"
: "${VB_GEN:?VB_GEN must name the vb-sample-images binary}"

PROMPT="Describe the product in one sentence"

# est ARGS...: visionbatch estimate --json ARGS, exit status 0 or 1 (error items) allowed
est() {
    local status=0
    "$VB_BIN" estimate --json -q "$@" >"$TMP/est.json" 2>"$TMP/est.err" || status=$?
    [ "$status" -le 1 ] || { cat "$TMP/est.err" >&2; fail "estimate $* exited $status"; }
    cat "$TMP/est.json"
}

# field JSON KEY: one top-level field of a JSON object
field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print("null" if v is None else v)' "$1" "$2"; }

# ---- the worked examples (provider-facts.md §2), one image each -----------------------
mkdir -p "$TMP/facts"
gen_images "$TMP/facts" 1 --seed 5 --size 1024x1024 --format jpeg --prefix sq-
gen_images "$TMP/facts" 1 --seed 5 --size 2048x4096 --format jpeg --prefix tall-
gen_images "$TMP/facts" 1 --seed 5 --size 4096x8192 --format jpeg --prefix huge-
gen_images "$TMP/facts" 1 --seed 5 --size 1800x2400 --format jpeg --prefix patch-
check_tokens() { # MODEL DETAIL FILE EXPECTED
    local got
    got=$(field "$(est -m "$1" --detail "$2" "$TMP/facts/$3")" image_tokens)
    [ "$got" = "$4" ] || fail "$1 detail $2 $3: image_tokens $got, expected $4"
}
check_tokens gpt-4o high sq-000001.jpg 765
check_tokens gpt-4o high tall-000001.jpg 1105
check_tokens gpt-4o low huge-000001.jpg 85
check_tokens gpt-4o-mini high sq-000001.jpg 25501
check_tokens gpt-4.1-mini auto sq-000001.jpg 1659    # 1024 patches x 1.62, rounded up
check_tokens gpt-4.1-mini auto patch-000001.jpg 2353 # 1452 patches x 1.62, rounded up
check_tokens claude-sonnet-4-5 auto sq-000001.jpg 1369  # ceil(1024/28)^2 = 37 * 37

# ---- the CLI's contract on one known image -------------------------------------------
json=$(est -m gpt-4o-2024-08-06 --detail high -p "$PROMPT" --max-tokens 200 --rpm 60 \
    --tpm 10000 "$TMP/facts/sq-000001.jpg")
py "$json" <<'PY'
import json, sys
e = json.loads(sys.argv[1])
prompt = (len("Describe the product in one sentence") + 3) // 4          # 9
assert e["images"] == 1 and e["errors"] == 0 and e["urls"] == 0, e
assert e["image_tokens"] == 765 and e["input_tokens"] == 765 + prompt + 7, e
assert e["output_tokens_max"] == 200, e
assert e["price"] == {"model": "gpt-4o", "input": 2.5, "output": 10.0}, e["price"]
assert abs(e["cost_usd_low"] - 781 * 2.5 / 1e6) < 1e-6, e
assert abs(e["cost_usd_high"] - (781 * 2.5 + 200 * 10.0) / 1e6) < 1e-6, e
# 1 request at 60 rpm = 1 s; 981 tokens at 10,000 tpm = 5.886 s: the tokens bind
assert abs(e["seconds_at_limits"] - 981 / 10000 * 60) < 1e-3, e
assert e["token_rules_known"] is True
PY

# unknown model: gpt-4o's rules as a stated assumption, and no price
json=$(est -m llava-13b --detail high "$TMP/facts/sq-000001.jpg")
py "$json" <<'PY'
import json, sys
e = json.loads(sys.argv[1])
assert e["image_tokens"] == 765 and e["token_rules_known"] is False, e
assert e["price"] is None and e["cost_usd_low"] is None and e["cost_usd_high"] is None, e
assert e["seconds_at_limits"] is None, e
assert any("gpt-4o" in a for a in e["assumptions"]), e["assumptions"]
PY
"$VB_BIN" estimate -m llava-13b "$TMP/facts/sq-000001.jpg" | grep -q "cost            unknown" ||
    fail "text output of an unknown model does not say cost unknown"

# an override file prices it; a broken one is a usage error naming the file
printf '{"models": {"llava-13b": {"input": 1, "output": 2}}}\n' >"$TMP/prices.json"
json=$(est -m llava-13b --detail high --max-tokens 0 --pricing "$TMP/prices.json" \
    "$TMP/facts/sq-000001.jpg")
[ "$(field "$json" cost_usd_high)" = null ] || fail "max-tokens 0 must leave the high cost open"
[ "$(field "$json" output_tokens_max)" = null ] || fail "max-tokens 0: output_tokens_max"
python3 -c "import sys; assert abs(float(sys.argv[1]) - 785 / 1e6) < 1e-9" \
    "$(field "$json" cost_usd_low)" || fail "override price not used"
printf '{"models": {"x": {"input": 1,}}}' >"$TMP/broken.json"
status=0
"$VB_BIN" estimate --pricing "$TMP/broken.json" "$TMP/facts" 2>"$TMP/err.txt" || status=$?
[ "$status" -eq 2 ] || fail "broken price file: exit $status, expected 2"
grep -q "price file $TMP/broken.json: not valid JSON: line 1" "$TMP/err.txt" ||
    { cat "$TMP/err.txt"; fail "broken price file message"; }

# ---- --batch-api: the Batch API's prices, exactly half, with the online cost beside ----
json=$(est --batch-api -m gpt-4o-2024-08-06 --detail high -p "$PROMPT" --max-tokens 200 \
    "$TMP/facts/sq-000001.jpg" "$TMP/facts/tall-000001.jpg")
py "$json" <<'PY'
import json, sys
e = json.loads(sys.argv[1])
assert e["batch_api"] is True, e
assert e["price"] == {"model": "gpt-4o", "input": 2.5, "output": 10.0,
                      "batch_input": 1.25, "batch_output": 5.0}, e["price"]
tokens = e["input_tokens"]
assert tokens == 765 + 1105 + 2 * (9 + 7), e   # the two images' tokens + prompt + overhead
assert abs(e["cost_usd_low"] - tokens * 1.25 / 1e6) < 1e-6, e
assert abs(e["cost_usd_high"] - (tokens * 1.25 + 400 * 5.0) / 1e6) < 1e-6, e
assert abs(e["online_cost_usd_low"] - tokens * 2.5 / 1e6) < 1e-6, e
assert abs(e["online_cost_usd_high"] - (tokens * 2.5 + 400 * 10.0) / 1e6) < 1e-6, e
assert abs(2 * e["cost_usd_high"] - e["online_cost_usd_high"]) < 2e-6, e
PY
json=$(est -m gpt-4o "$TMP/facts/sq-000001.jpg")
[ "$(field "$json" batch_api)" = False ] || fail "an online estimate says batch_api"
"$VB_BIN" estimate --batch-api -m gpt-4o "$TMP/facts/sq-000001.jpg" >"$TMP/batch.txt" ||
    fail "text estimate --batch-api"
grep -q "gpt-4o batch: \$1.25 in, \$5.00 out per 1M tokens" "$TMP/batch.txt" &&
    grep -q "^  online cost " "$TMP/batch.txt" || { cat "$TMP/batch.txt"; fail "batch text"; }
# a model without batch prices is refused: no batch price, no promise
printf '{"models": {"llava-13b": {"input": 1, "output": 2}}}\n' >"$TMP/online-only.json"
for model in llava-13b unknown-model; do
    status=0
    "$VB_BIN" estimate --batch-api --pricing "$TMP/online-only.json" -m "$model" \
        "$TMP/facts/sq-000001.jpg" >/dev/null 2>"$TMP/err.txt" || status=$?
    [ "$status" -eq 2 ] || fail "--batch-api for $model without batch prices: exit $status"
    grep -q "no batch price is known for model $model: .*--pricing FILE" "$TMP/err.txt" ||
        { cat "$TMP/err.txt"; fail "--batch-api without batch prices: message"; }
done
# ... and from a config file, as every setting
printf 'batch-api = true\n' >"$TMP/batch.ini"
json=$(est --config "$TMP/batch.ini" -m gpt-4o "$TMP/facts/sq-000001.jpg")
[ "$(field "$json" batch_api)" = True ] || fail "batch-api = true in a config file"

# ---- a mixed set, estimated and then sent ---------------------------------------------
mkdir -p "$TMP/in"
gen_images "$TMP/in" 14 --seed 21 --min-side 40 --max-side 2600   # JPEG and PNG, any shape
for size in 1024x1024 2048x4096 512x512 513x513 200x3000 3000x200 384x384 385x100; do
    gen_images "$TMP/in" 1 --seed 22 --size "$size" --prefix "s$size-"
done
printf 'not an image at all' >"$TMP/in/text-named.jpg"
: >"$TMP/in/zero.png"
head -c 3000 "$(ls "$TMP"/in/product-*.jpg | head -n 1)" >"$TMP/in/truncated.jpg"
GOOD=22

start_sim
billed_before=0
for model in gpt-4o gpt-4o-mini gpt-4.1-mini; do
    json=$(est -m "$model" --detail high -p "$PROMPT" "$TMP/in")
    status=0
    "$VB_BIN" run --base-url "$SIM_URL" --no-journal -c 8 -m "$model" --detail high \
        -p "$PROMPT" -o "$TMP/out-$model.jsonl" "$TMP/in" 2>"$TMP/run.err" || status=$?
    [ "$status" -eq 1 ] || { cat "$TMP/run.err"; fail "$model: run exit $status, expected 1"; }
    billed=$(sim_stat image_tokens)
    # image for image: each good file estimated alone
    : >"$TMP/per-image-$model.txt"
    for f in "$TMP"/in/*; do
        case "$f" in *text-named.jpg | *zero.png | *truncated.jpg) continue ;; esac
        echo "$f $(field "$(est -m "$model" --detail high -p "$PROMPT" "$f")" input_tokens)" \
            >>"$TMP/per-image-$model.txt"
    done
    py "$json" "$TMP/out-$model.jsonl" "$TMP/per-image-$model.txt" \
        "$((billed - billed_before))" "$model" "$GOOD" <<'PY'
import json, sys
e = json.loads(sys.argv[1])
lines = [json.loads(l) for l in open(sys.argv[2])]
per_image = dict(l.split() for l in open(sys.argv[3]))
billed, model, good = int(sys.argv[4]), sys.argv[5], int(sys.argv[6])

assert e["images"] == good and e["errors"] == 3, e
assert e["errors_by_kind"] == {"not_an_image": 1, "empty_file": 1, "corrupt_image": 1}, e
# the run refused the same three files, before sending
failed = {l["image"].rsplit("/", 1)[1]: l["error"]["kind"] for l in lines if l["status"] != "ok"}
assert failed == {"text-named.jpg": "not_an_image", "zero.png": "empty_file",
                  "truncated.jpg": "corrupt_image"}, failed
ok = [l for l in lines if l["status"] == "ok"]
assert len(ok) == good, len(ok)
# totals: image tokens as the simulator billed them, input tokens as it reported them
assert e["image_tokens"] == billed, (model, e["image_tokens"], billed)
assert e["input_tokens"] == sum(l["usage"]["prompt_tokens"] for l in ok), model
assert e["output_tokens_max"] == good * 300
# image for image
for l in ok:
    assert int(per_image[l["image"]]) == l["usage"]["prompt_tokens"], \
        (model, l["image"], per_image[l["image"]], l["usage"])
assert len(per_image) == good
print(f"estimate: {model}: {good} images, {billed} image tokens billed = estimated")
PY
    billed_before=$billed
done

# the 4096x8192 low-detail example, sent too
json=$(est -m gpt-4o --detail low -p "$PROMPT" "$TMP/facts/huge-000001.jpg")
"$VB_BIN" run --base-url "$SIM_URL" --no-journal -m gpt-4o --detail low -p "$PROMPT" -q \
    -o "$TMP/out-low.jsonl" "$TMP/facts/huge-000001.jpg" || fail "run of the 4096x8192 image"
billed=$(sim_stat image_tokens)
[ "$((billed - billed_before))" -eq 85 ] || fail "simulator billed $((billed - billed_before)), expected 85"
[ "$(field "$json" image_tokens)" -eq 85 ] || fail "estimate of 4096x8192 low"

# a missing input is a usage error, like run's
status=0
"$VB_BIN" estimate "$TMP/in" "$TMP/does-not-exist" 2>"$TMP/err.txt" || status=$?
[ "$status" -eq 2 ] || fail "missing input: exit $status, expected 2"
echo "estimate: ok"
