# ux_options.sh - issue 18 point 12: --system, --temperature and --seed reach the wire in
# each provider's own fields (OpenAI chat/completions, Anthropic Messages, Gemini
# generateContent; single-image and multi-image bodies), from flags and from the config
# file; Anthropic refuses --seed and a temperature above 1 as usage errors (exit 2); a
# journal of a job with another temperature is refused; and a run with failed items ends
# its summary with how to send them again (--retry-failed).
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/in"
gen_images "$TMP/in" 4 --seed 12 --min-side 40 --max-side 200
cd "$TMP"
start_sim --latency-ms 2 --record-requests "$TMP/req.log"
SYS='You write catalog copy; "quotes" stay'
vbr() {
    env -u OPENAI_API_KEY -u VISIONBATCH_API_KEY -u ANTHROPIC_API_KEY -u GEMINI_API_KEY \
        -u GOOGLE_API_KEY -u OPENAI_BASE_URL -u ANTHROPIC_BASE_URL \
        OPENAI_API_KEY=k ANTHROPIC_API_KEY=k GEMINI_API_KEY=k "$VB_BIN" "$@"
}
root="${SIM_URL%/v1}"

# ---- OpenAI: flags, single and multi-image bodies ----------------------------------------
: >req.log
vbr run --base-url "$SIM_URL" -q --system "$SYS" --temperature 0.25 --seed 7 --no-journal \
    -o oa.jsonl in 2>oa.err || { cat oa.err; fail "openai run failed"; }
vbr run --base-url "$SIM_URL" -q --system "$SYS" --temperature 0.25 --seed 7 --no-journal \
    --batch-size 2 -o oag.jsonl in 2>oag.err || { cat oag.err; fail "openai group run failed"; }
py req.log "$SYS" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
assert len(reqs) == 6, len(reqs)  # 4 single + 2 of two images
for r in reqs:
    assert r["messages"][0] == {"role": "system", "content": sys.argv[2]}, r["messages"][0]
    assert r["messages"][1]["role"] == "user"
    assert r["temperature"] == 0.25 and r["seed"] == 7, r
PY
# nothing given: none of the fields is sent
: >req.log
vbr run --base-url "$SIM_URL" -q --no-journal -o plain.jsonl in 2>/dev/null || fail "plain run"
py req.log <<'PY'
import json, sys
for r in (json.loads(l) for l in open(sys.argv[1])):
    assert "temperature" not in r and "seed" not in r, r
    assert all(m["role"] != "system" for m in r["messages"]), r
PY

# ---- Anthropic: top-level system and temperature, no seed -------------------------------
: >req.log
vbr run --provider anthropic --base-url "$root" -m claude-sonnet-4-5 -q --system "$SYS" \
    --temperature 0.5 --no-journal -o an.jsonl in 2>an.err || { cat an.err; fail "anthropic run"; }
py req.log "$SYS" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
assert len(reqs) == 4, len(reqs)
for r in reqs:
    assert r["system"] == sys.argv[2] and r["temperature"] == 0.5 and "seed" not in r, r
PY
st=0
vbr run --provider anthropic --base-url "$root" -m claude-sonnet-4-5 -q --seed 3 --no-journal \
    -o x.jsonl in 2>seed.err || st=$?
[ "$st" -eq 2 ] || fail "anthropic --seed: exit $st, want 2"
grep -q -- "--seed cannot be used with --provider anthropic" seed.err || { cat seed.err; fail "seed message"; }
st=0
vbr run --provider anthropic --base-url "$root" -m claude-sonnet-4-5 -q --temperature 1.5 \
    --no-journal -o x.jsonl in 2>temp.err || st=$?
[ "$st" -eq 2 ] || fail "anthropic --temperature 1.5: exit $st, want 2"
st=0
vbr run --base-url "$SIM_URL" -q --temperature 2.5 --no-journal -o x.jsonl in 2>t2.err || st=$?
[ "$st" -eq 2 ] || fail "--temperature 2.5: exit $st, want 2"

# ---- Gemini: systemInstruction and generationConfig, from the config file ----------------
cat >g.ini <<INI
system = $SYS
temperature = 0.75
seed = 42
INI
: >req.log
vbr run --config g.ini --provider gemini --base-url "$root" -m gemini-2.5-flash -q --no-journal \
    -o ge.jsonl in 2>ge.err || { cat ge.err; fail "gemini run"; }
vbr run --config g.ini --provider gemini --base-url "$root" -m gemini-2.5-flash -q --no-journal \
    --batch-size 4 -o geg.jsonl in 2>geg.err || { cat geg.err; fail "gemini group run"; }
py req.log "$SYS" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
assert len(reqs) == 5, len(reqs)
for r in reqs:
    assert r["systemInstruction"] == {"parts": [{"text": sys.argv[2]}]}, r["systemInstruction"]
    gc = r["generationConfig"]
    assert gc["temperature"] == 0.75 and gc["seed"] == 42, gc
PY

# ---- the job's parameters: another temperature is another job ---------------------------
vbr run --base-url "$SIM_URL" -q --temperature 0.2 -o j.jsonl in 2>/dev/null || fail "journal run"
st=0
vbr run --base-url "$SIM_URL" -q --temperature 0.9 -o j.jsonl in 2>j2.err || st=$?
[ "$st" -ne 0 ] || fail "a journal of a job with another temperature was resumed"

# ---- the budget reserves the system prompt too (one token per byte at worst) ------------
long=$(python3 -c 'print("word " * 8000)')
st=0
vbr run --base-url "$SIM_URL" -q --no-journal --system "$long" --budget 0.004 \
    --stats-json bud.json -o bud.jsonl in 2>bud.err || st=$?
[ "$st" -eq 4 ] || { cat bud.err; fail "budget run: exit $st, want 4"; }
py bud.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["cost_usd"] <= 0.004, ("the spend passed the budget", s["cost_usd"])
PY

# ---- failed items: the summary says how to send them again ------------------------------
cp -r in inb
printf 'not an image at all' >inb/broken.jpg
st=0
vbr run --base-url "$SIM_URL" --no-journal -o f.jsonl inb 2>f.err || st=$?
grep -q "1 item failed: fix the cause and run the same command with --retry-failed to send them again" f.err ||
    { cat f.err; fail "no --retry-failed hint after a failure"; }
vbr run --base-url "$SIM_URL" --no-journal -o ok.jsonl in 2>ok.err || fail "clean run"
if grep -q -- "--retry-failed" ok.err; then fail "retry hint without failures"; fi
echo "ux_options: ok"
