# ux_estimate_dry_run.sh - issue 18 point 10: `estimate` is a dry run of the same command.
# One argument list (-o, --journal, -c, --budget, --max-side, --base-url, --system, a CSV
# manifest with a {field} prompt and a row lacking the field, byte-identical copies) given
# to `estimate --json` and to `run --dry-run --json` prints the same figures, sends
# nothing and writes nothing; the real run then bills exactly the estimated input tokens;
# after it the same estimate says everything is done and prices $0, reads the journal's
# failures with --retry-failed and its cache with --new-job, and refuses a journal of
# another job as run does.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/photos"
gen_images "$TMP/photos" 5 --seed 44 --min-side 200 --max-side 700 --format jpeg
cd "$TMP"
cp photos/product-000001.jpg photos/copy-a.jpg
cp photos/product-000001.jpg photos/copy-b.jpg
# p5 has no category: a "template" error in the run, so in the estimate
printf '%s\n' 'image,id,category,title' \
    'photos/product-000001.jpg,p1,shoes,Canvas sneaker' \
    'photos/product-000002.jpg,p2,bags,Tote' \
    'photos/product-000003.jpg,p3,hats,Sun hat' \
    'photos/product-000004.jpg,p4,mugs,Plain mug' \
    'photos/product-000005.jpg,p5,,No category' \
    'photos/copy-a.jpg,c1,shoes,Canvas sneaker' \
    'photos/copy-b.jpg,c2,shoes,Canvas sneaker' >items.csv
start_sim --latency-ms 2
ARGS=(--base-url "$SIM_URL" -m gpt-4.1-mini -c 3 -o out.jsonl --journal job.journal --budget 5
    --max-side 160 --system "You write short catalog copy." -p 'Describe this {category}: {title}'
    --progress none items.csv)

# dry ARGS...: visionbatch ARGS into dry.json / dry.err, exit 1 (the template error) expected
dry() {
    local status=0
    "$VB_BIN" "$@" >dry.json 2>dry.err || status=$?
    [ "$status" -eq "${WANT:-1}" ] || { cat dry.err >&2; fail "$1 ${2:-}: exit $status"; }
}

# ---- estimate and run --dry-run: the same figures, nothing sent, nothing written --------
OPENAI_API_KEY=k dry estimate --json "${ARGS[@]}"
mv dry.json est.json
OPENAI_API_KEY=k dry run --dry-run --stats-json - "${ARGS[@]}"
mv dry.json dryrun.json
cmp -s est.json dryrun.json || { diff est.json dryrun.json >&2; fail "estimate and run --dry-run differ"; }
# run --dry-run --stats-json FILE: the text on standard output, the same JSON in FILE
OPENAI_API_KEY=k dry run --dry-run --stats-json dry-stats.json "${ARGS[@]}"
grep -q "duplicates      2" dry.json || { cat dry.json >&2; fail "run --dry-run: no text"; }
cmp -s est.json dry-stats.json || fail "run --dry-run --stats-json FILE differs from estimate --json"
# run's --json (JSON answers) keeps its meaning in a dry run: its instruction is priced
OPENAI_API_KEY=k dry run --dry-run --json --stats-json - "${ARGS[@]}"
py est.json dry.json <<'PY'
import json, sys
plain, asked = (json.load(open(p)) for p in sys.argv[1:3])
assert asked["input_tokens"] > plain["input_tokens"], (asked["input_tokens"], plain["input_tokens"])
PY
[ ! -e out.jsonl ] && [ ! -e job.journal ] || fail "a dry run wrote the output or the journal"
[ "$(sim_stat requests)" = "0" ] || fail "a dry run sent $(sim_stat requests) requests"
py est.json <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
assert e["images"] == 4, e            # p1..p4; c1, c2 are p1's bytes and prompt
assert e["duplicates"] == 2, e
assert e["errors"] == 1 and e["errors_by_kind"] == {"template": 1}, e
assert e["already_done"] == 0 and e["cached"] == 0, e
assert e["budget_usd"] == 5 and e["budget_covers_images"] == 4, e
PY
# the text form says the same, and --max-side shrank the images (fewer tokens without it)
OPENAI_API_KEY=k dry estimate "${ARGS[@]}"
grep -q "duplicates      2" dry.json || { cat dry.json >&2; fail "text: no duplicates line"; }
grep -q "covers the whole job" dry.json || { cat dry.json >&2; fail "text: no budget line"; }
big=$(OPENAI_API_KEY=k "$VB_BIN" estimate --json -q "${ARGS[@]}" --max-side 0 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["image_tokens"])') || true
small=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["image_tokens"])' est.json)
[ "$big" -gt "$small" ] || fail "--max-side did not change the image tokens ($big vs $small)"

# ---- the run bills exactly what was estimated ------------------------------------------
status=0
OPENAI_API_KEY=k "$VB_BIN" run "${ARGS[@]}" -q 2>run.err || status=$?
[ "$status" -eq 1 ] || { cat run.err >&2; fail "run: exit $status, expected 1 (p5)"; }
py est.json out.jsonl "$(sim_stat prompt_tokens)" "$(sim_stat requests)" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
lines = [json.loads(l) for l in open(sys.argv[2])]
billed, requests = int(sys.argv[3]), int(sys.argv[4])
assert requests == e["images"], (requests, e["images"])
assert sum(l["usage"]["prompt_tokens"] for l in lines if l.get("usage")) == billed
assert e["input_tokens"] == billed, ("estimated", e["input_tokens"], "billed", billed)
PY

# ---- after the run: everything is done, $0 -----------------------------------------------
WANT=0 OPENAI_API_KEY=k dry estimate --json "${ARGS[@]}"
py dry.json <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
assert e["already_done"] == 7 and e["images"] == 0 and e["errors"] == 0, e
assert e["input_tokens"] == 0 and e["cost_usd_low"] == 0 and e["cost_usd_high"] == 0, e
PY
WANT=0 OPENAI_API_KEY=k dry estimate "${ARGS[@]}"
grep -q "already done    7" dry.json || { cat dry.json >&2; fail "text: no already-done line"; }
# --retry-failed: the failed item is tried again (and fails again)
OPENAI_API_KEY=k dry estimate --json "${ARGS[@]}" --retry-failed
py dry.json <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
assert e["already_done"] == 6 and e["errors"] == 1 and e["images"] == 0, e
PY
# --new-job: nothing is done, but the kept result cache answers every image
OPENAI_API_KEY=k dry estimate --json "${ARGS[@]}" --new-job
py dry.json <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
assert e["already_done"] == 0 and e["cached"] == 6 and e["images"] == 0, e
PY

# ---- a journal of another job: refused as run refuses it --------------------------------
OTHER=("${ARGS[@]}")
OTHER[${#OTHER[@]}]=--max-tokens
OTHER[${#OTHER[@]}]=50
WANT=2 OPENAI_API_KEY=k dry estimate --json "${OTHER[@]}"
status=0
OPENAI_API_KEY=k "$VB_BIN" run "${OTHER[@]}" -q >/dev/null 2>run2.err || status=$?
[ "$status" -eq 2 ] || fail "run of another job: exit $status"
grep -q "other request parameters" dry.err || { cat dry.err >&2; fail "estimate: no refusal"; }
cmp -s dry.err run2.err || { diff dry.err run2.err >&2; fail "estimate and run refuse differently"; }
[ "$(sim_stat requests)" = "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"])' est.json)" ] ||
    fail "the dry runs after the run sent requests"

# ---- --batch-size: the prompt and its group instruction once per group ----------------
GROUPED=(--base-url "$SIM_URL" -m gpt-4o --batch-size 3 --system "Be brief." -p "Describe it"
    --no-journal -o grouped.jsonl photos/product-*.jpg)
OPENAI_API_KEY=k "$VB_BIN" estimate --json -q "${GROUPED[@]}" >grouped.json ||
    fail "estimate --batch-size"
before_tokens=$(sim_stat prompt_tokens) before_requests=$(sim_stat requests)
OPENAI_API_KEY=k "$VB_BIN" run -q -c 1 "${GROUPED[@]}" || fail "run --batch-size"
py grouped.json "$(($(sim_stat prompt_tokens) - before_tokens))" \
    "$(($(sim_stat requests) - before_requests))" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
billed, requests = int(sys.argv[2]), int(sys.argv[3])
assert e["images"] == 5 and e["requests"] == 2, e  # 3 + 2
# a group goes short when the images come slower than the run sends; five small images
# come in time, so the run sends what the estimate assumes
assert requests == e["requests"], ("requests", requests, "estimated", e["requests"])
assert e["input_tokens"] == billed, ("estimated", e["input_tokens"], "billed", billed)
PY

# ---- during a run: its journal is read as it is written, the run is not disturbed -----
start_sim --latency-ms 400
LIVE=(--base-url "$SIM_URL" -m gpt-4o -c 1 -p "Describe it" -o live.jsonl photos/product-*.jpg)
OPENAI_API_KEY=k "$VB_BIN" run -q "${LIVE[@]}" 2>live.err &
RUN_PID=$!
VB_PIDS+=("$RUN_PID")
done_now=0
for i in $(seq 1 100); do
    if [ -e live.journal ]; then
        OPENAI_API_KEY=k "$VB_BIN" estimate --json -q "${LIVE[@]}" >live.json 2>live-est.err ||
            { cat live-est.err >&2; fail "estimate during a run"; }
        done_now=$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))
assert e["already_done"] + e["images"] == 5, e
print(e["already_done"])' live.json) || fail "estimate during a run: $(cat live.json)"
        [ "$done_now" -ge 1 ] && break
    fi
    sleep 0.1
done
[ "$done_now" -ge 1 ] && [ "$done_now" -lt 5 ] || fail "no estimate caught the run midway ($done_now done)"
wait "$RUN_PID" || { cat live.err >&2; fail "the run beside the estimates failed"; }

# ---- help ---------------------------------------------------------------------------------
"$VB_BIN" estimate --help >help.txt
"$VB_BIN" run --help >run-help.txt
grep -q "csv manifests" help.txt || fail "estimate --help does not name .csv"
grep -q "every option of .visionbatch run. is accepted" help.txt ||
    fail "estimate --help does not say it takes run's options"
grep -q -- "--dry-run" run-help.txt || fail "run --help does not list --dry-run"
echo "ok"
