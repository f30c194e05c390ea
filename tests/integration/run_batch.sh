# run_batch.sh - --batch-size against the real simulator: N images in N/5 requests, every
# answer attached to its own image (the simulator names each image's sha256), the prompt
# tokens billed lower by exactly the prompt text no longer sent per image, per-line costs
# that add up to the bill; with 20% of the batch answers garbled every image still ends
# with its own answer; 5xx answers retry a batch whole; --batch-max-bytes caps every body.
source "$(dirname "$0")/lib.sh"

N=100
mkdir -p "$TMP/in"
gen_images "$TMP/in" "$N" --seed 61 --min-side 64 --max-side 160
PROMPT="Describe this product image for an online catalog."

# check_assigned OUT: every line ok, naming the sha256 of its own file's bytes.
check_assigned() {
    py "$1" "$N" <<'PY'
import hashlib, json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == int(sys.argv[2]), len(lines)
assert len({l["id"] for l in lines}) == len(lines)
for l in lines:
    assert l["status"] == "ok", l
    h = hashlib.sha256(open(l["image"], "rb").read()).hexdigest()
    assert l["content_hash"] == "sha256:" + h, l
    # its own answer, not a neighbour's: a batch entry, or a single image's answer
    assert re.fullmatch(r"(Image 1: )?sha256:" + h + r" \(.*", l["response"]), l
PY
}

# 1. batch size 1: today's path, one request per image.
start_sim --record-requests "$TMP/all.req"
"$VB_BIN" run --base-url "$SIM_URL" -c 8 -q --no-journal --batch-size 1 -p "$PROMPT" \
    -o "$TMP/one.jsonl" "$TMP/in" || fail "batch size 1 run failed"
[ "$(sim_stat requests)" -eq "$N" ] || fail "batch 1: $(sim_stat requests) requests"
[ "$(sim_stat batch_answers)" -eq 0 ] || fail "batch 1 sent batches"
cp "$TMP/all.req" "$TMP/one.req"
P1=$(sim_stat prompt_tokens)
I1=$(sim_stat image_tokens)
check_assigned "$TMP/one.jsonl" || fail "batch size 1: answers not assigned right"

# --batch-size 1 is the default, and its requests are byte for byte the same
curl -sf -X POST "${SIM_URL%/v1}/sim/reset" >/dev/null
"$VB_BIN" run --base-url "$SIM_URL" -c 8 -q --no-journal -p "$PROMPT" -o "$TMP/default.jsonl" \
    "$TMP/in" || fail "default run failed"
cmp -s <(head -n "$N" "$TMP/all.req" | sort) <(tail -n +$((N + 1)) "$TMP/all.req" | sort) ||
    fail "--batch-size 1 sent other bodies than the default"
: >"$TMP/all.req"

# 2. batch size 5: N/5 requests, same image tokens, the prompt text saved.
curl -sf -X POST "${SIM_URL%/v1}/sim/reset" >/dev/null
"$VB_BIN" run --base-url "$SIM_URL" -c 8 --batch-size 5 -p "$PROMPT" -o "$TMP/five.jsonl" \
    "$TMP/in" 2>"$TMP/five.err" || fail "batch size 5 run failed: $(cat "$TMP/five.err")"
[ "$(sim_stat requests)" -eq $((N / 5)) ] || fail "batch 5: $(sim_stat requests) requests"
[ "$(sim_stat batch_answers)" -eq $((N / 5)) ] || fail "batch 5: $(sim_stat batch_answers) batches"
[ "$(sim_stat images_billed)" -eq "$N" ] || fail "batch 5 billed $(sim_stat images_billed)"
[ "$(sim_stat image_tokens)" -eq "$I1" ] || fail "image tokens differ: $(sim_stat image_tokens) vs $I1"
P5=$(sim_stat prompt_tokens)
cp "$TMP/all.req" "$TMP/five.req"
C5=$(sim_stat completion_tokens)
grep -q "requests     $((N / 5)) " "$TMP/five.err" || fail "summary: $(cat "$TMP/five.err")"
grep -q "batches      $((N / 5)) requests of several images; 0 answers" "$TMP/five.err" ||
    fail "summary batches: $(cat "$TMP/five.err")"
check_assigned "$TMP/five.jsonl" || fail "batch size 5: answers not assigned right"
# The saving is the text the simulator bills (ceil(bytes/4) + 7 per message): the prompt
# in each of the N single requests, less the prompt and instruction of each batch, read
# from the bodies the simulator recorded.
py "$TMP/one.req" "$TMP/five.req" "$P1" "$P5" "$C5" "$TMP/five.jsonl" <<'PY' || fail "token saving or cost split"
import json, sys
def text_tokens(path):
    total, n = 0, 0
    for line in open(path):
        body = json.loads(line)
        for m in body["messages"]:
            for part in m["content"]:
                if part["type"] == "text":
                    b = len(part["text"].encode())
                    total += b // 4 + (b % 4 != 0)
            total += 7
        n += 1
    return total, n
one, n1 = text_tokens(sys.argv[1])
five, n5 = text_tokens(sys.argv[2])
p1, p5, c5 = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
assert n1 == 5 * n5, (n1, n5)
saving = one - five
assert saving > 0 and p1 - p5 == saving, (p1, p5, one, five)
print(f"prompt tokens: batch 1 {p1}, batch 5 {p5}, saved {saving} (text {one} -> {five})")
lines = [json.loads(l) for l in open(sys.argv[6])]
assert sum(l["usage"]["prompt_tokens"] for l in lines) == p5
assert sum(l["usage"]["completion_tokens"] for l in lines) == c5
bill = (p5 * 0.15 + c5 * 0.60) / 1e6  # gpt-4o-mini, data/pricing.json
cost = sum(l["cost_usd"] for l in lines)
assert abs(cost - bill) < 1e-9, (cost, bill)
PY
# The batch bodies are valid chat/completions requests (OpenAI's schema).
/usr/bin/python3 "$VB_SRC/tests/schema/validate_requests.py" \
    "$VB_SRC/tests/schema/create-chat-completion-request.schema.json" "$TMP/five.req" \
    >/dev/null || fail "batch bodies do not validate against the request schema"
# Resuming the finished job sends nothing: every image is its own finished item.
curl -sf -X POST "${SIM_URL%/v1}/sim/reset" >/dev/null
"$VB_BIN" run --base-url "$SIM_URL" -c 8 --batch-size 5 -q -p "$PROMPT" -o "$TMP/five.jsonl" \
    "$TMP/in" || fail "resume failed"
[ "$(sim_stat requests)" -eq 0 ] || fail "resume sent $(sim_stat requests) requests"

# 3. 20% of the batch answers garbled: each is noticed, its images go again alone.
kill "$SIM_PID"
start_sim --garble-rate 0.2 --seed 5
"$VB_BIN" run --base-url "$SIM_URL" -c 8 --batch-size 5 -p "$PROMPT" --no-journal \
    -o "$TMP/garbled.jsonl" "$TMP/in" 2>"$TMP/garbled.err" || fail "garbled run failed"
check_assigned "$TMP/garbled.jsonl" || fail "garbled: answers not assigned right"
G=$(( $(sim_stat garbled.count) + $(sim_stat garbled.json) + $(sim_stat garbled.order) ))
[ "$G" -gt 0 ] && [ "$(sim_stat garbled.order)" -gt 0 ] || fail "nothing was garbled"
[ "$(sim_stat requests)" -eq $((N / 5 + 5 * G)) ] ||
    fail "garbled: $(sim_stat requests) requests for $G garbled answers"
# (the summary folds a line wider than 79 columns: read it joined)
tr '\n' ' ' <"$TMP/garbled.err" | tr -s ' ' |
    grep -q "; $G answers could not be split, $((5 * G)) images sent again alone" ||
    fail "garbled summary: $(cat "$TMP/garbled.err")"
grep -q "tokens       in $(sim_stat prompt_tokens), out $(sim_stat completion_tokens)$" \
    "$TMP/garbled.err" || fail "garbled summary tokens are not what was billed"
py "$TMP/garbled.jsonl" "$((5 * G))" <<'PY' || fail "garbled: attempts"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert sum(1 for l in lines if l["attempts"] == 2) == int(sys.argv[2])
assert all(l["attempts"] in (1, 2) for l in lines)
PY

# 4. 5xx answers: a batch is retried whole (each batch answered 200 once, never broken up).
kill "$SIM_PID"
start_sim --fail-rate 0.2 --seed 9
"$VB_BIN" run --base-url "$SIM_URL" -c 8 --batch-size 5 -p "$PROMPT" --no-journal -q \
    --retry-base 0.02 --retry-max 0.1 --retries 10 -o "$TMP/failing.jsonl" "$TMP/in" ||
    fail "run against 5xx failed"
check_assigned "$TMP/failing.jsonl" || fail "5xx: answers not assigned right"
F=$(( $(sim_stat faults.500) + $(sim_stat faults.502) + $(sim_stat faults.503) ))
[ "$F" -gt 0 ] || fail "no 5xx was injected"
[ "$(sim_stat batch_answers)" -eq $((N / 5)) ] && [ "$(sim_stat images_billed)" -eq "$N" ] &&
    [ "$(sim_stat requests)" -eq $((N / 5 + F)) ] ||
    fail "5xx: $(sim_stat requests) requests, $(sim_stat batch_answers) batches for $F faults"

# 5. --batch-max-bytes: a batch stops growing before its body would pass the cap.
kill "$SIM_PID"
start_sim --record-requests "$TMP/capped.req"
CAP=$(py "$TMP/one.req" <<'PY'
import sys
sizes = sorted(len(l.rstrip("\n").encode()) for l in open(sys.argv[1]))
print(3 * sizes[len(sizes) // 2] + 1024)  # about three median images and the instruction
PY
)
"$VB_BIN" run --base-url "$SIM_URL" -c 8 --batch-size 5 --batch-max-bytes "$CAP" -q \
    --no-journal -p "$PROMPT" -o "$TMP/capped.jsonl" "$TMP/in" || fail "capped run failed"
check_assigned "$TMP/capped.jsonl" || fail "capped: answers not assigned right"
py "$TMP/capped.req" "$CAP" "$N" <<'PY' || fail "capped bodies"
import sys
sizes = [len(l.rstrip("\n").encode()) for l in open(sys.argv[1])]
cap, n = int(sys.argv[2]), int(sys.argv[3])
assert max(sizes) <= cap, (max(sizes), cap)
assert n // 5 < len(sizes) < n, len(sizes)  # the cap bound, and batches still formed
PY
# a batch answers with one JSON array: --json/--schema with it are refused before sending
before=$(sim_stat requests)
rc=0
"$VB_BIN" run --base-url "$SIM_URL" --batch-size 5 --json -q -o "$TMP/json.jsonl" "$TMP/in" \
    2>"$TMP/json.err" || rc=$?
[ "$rc" -eq 2 ] || fail "--batch-size 5 --json: exit $rc, expected 2"
grep -q -- "--batch-size above 1 cannot be combined" "$TMP/json.err" || fail "no reason given"
[ "$(sim_stat requests)" -eq "$before" ] || fail "--batch-size with --json sent requests"
rc=0
"$VB_BIN" run --base-url "$SIM_URL" --batch-size 5 --output-format openai-batch -q \
    -o "$TMP/ob.jsonl" "$TMP/in" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "--batch-size 5 --output-format openai-batch: exit $rc, expected 2"

# a batch the server refuses (here: one image damaged inside its compressed data, sent
# with --no-decode-check) breaks up: each image gets its own verdict alone
mkdir -p "$TMP/one-bad"
cp $(ls "$TMP"/in/*.jpg | head -4) "$TMP/one-bad/"
damage_jpeg_scan "$(ls "$TMP"/in/*.jpg | sed -n 5p)" "$TMP/one-bad/zz-damaged.jpg"
start_sim
rc=0
"$VB_BIN" run --base-url "$SIM_URL" --batch-size 5 --no-decode-check --no-journal -q \
    -o "$TMP/onebad.jsonl" "$TMP/one-bad" || rc=$?
[ "$rc" -eq 1 ] || fail "one damaged image in a batch: exit $rc, expected 1"
py "$TMP/onebad.jsonl" <<'PY'
import json, sys
lines = {l["id"].rsplit("/", 1)[1]: l for l in map(json.loads, open(sys.argv[1]))}
assert len(lines) == 5, lines.keys()
bad = lines.pop("zz-damaged.jpg")
assert bad["status"] == "error" and bad["error"]["kind"] == "invalid_request", bad
assert all(l["status"] == "ok" for l in lines.values()), lines
PY
[ "$(sim_stat requests)" -eq 6 ] || fail "a refused batch: $(sim_stat requests) requests, expected 1 + 5"
echo "run_batch: ok"
