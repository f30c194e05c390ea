# run_cost.sh - live cost and the hard budget: each line's cost_usd from its real usage,
# one --cost-warn warning, and a budget of a third of the job's cost that the server's
# bill never passes, the unsent items written as skipped, exit 4.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/in"
gen_images "$TMP/in" 60 --seed 41 --min-side 200 --max-side 900
start_sim --latency-ms 10
# gpt-4o-mini list prices (data/pricing.json): $0.15 / $0.60 per 1M tokens
bill() { python3 -c "print(($(sim_stat prompt_tokens) * 0.15 + $(sim_stat completion_tokens) * 0.60) / 1e6)"; }

"$VB_BIN" run --base-url "$SIM_URL" -m gpt-4o-mini --detail high -c 8 --no-journal \
    --cost-warn 0.0001 -o "$TMP/full.jsonl" "$TMP/in" 2>"$TMP/full.err" || fail "full run"
full=$(bill)
[ "$(grep -c 'past the --cost-warn' "$TMP/full.err")" -eq 1 ] || fail "cost-warn not said once"
py "$TMP/full.jsonl" "$full" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
total = sum(l["cost_usd"] for l in lines)
assert all(l["cost_usd"] > 0 for l in lines)
assert abs(total - float(sys.argv[2])) < 1e-9, (total, sys.argv[2])
for l in lines:
    u = l["usage"]
    assert abs(l["cost_usd"] - (u["prompt_tokens"] * 0.15 + u["completion_tokens"] * 0.60) / 1e6) < 1e-12
PY
grep -q "cost         \\$" "$TMP/full.err" || fail "no cost in the summary"

budget=$(python3 -c "print(round($full / 3, 6))")
curl -sf -X POST "${SIM_URL%/v1}/sim/reset" >/dev/null
status=0
"$VB_BIN" run --base-url "$SIM_URL" -m gpt-4o-mini --detail high -c 8 --no-journal \
    --budget "$budget" -o "$TMP/budget.jsonl" "$TMP/in" 2>"$TMP/budget.err" || status=$?
[ "$status" -eq 4 ] || { cat "$TMP/budget.err"; fail "budget: exit $status, expected 4"; }
spent=$(bill)
python3 -c "import sys; sys.exit(0 if $spent <= $budget else 1)" || fail "billed $spent > budget $budget"
py "$TMP/budget.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 60, len(lines)
skipped = [l for l in lines if l["status"] == "skipped"]
assert skipped and all(l["error"]["kind"] == "budget" and l["attempts"] == 0 for l in skipped)
assert len([l for l in lines if l["status"] == "ok"]) + len(skipped) == 60
PY

# the budget is the job's: a resumed run counts what the first one spent, so the two
# runs together stay within it (the resumed one may still send what fits)
curl -sf -X POST "${SIM_URL%/v1}/sim/reset" >/dev/null
status=0
"$VB_BIN" run --base-url "$SIM_URL" -m gpt-4o-mini --detail high -c 8 --budget "$budget" \
    -q -o "$TMP/job.jsonl" "$TMP/in" 2>/dev/null || status=$?
[ "$status" -eq 4 ] || fail "journaled budget run: exit $status"
status=0
"$VB_BIN" run --base-url "$SIM_URL" -m gpt-4o-mini --detail high -c 8 --budget "$budget" \
    -q -o "$TMP/job.jsonl" "$TMP/in" 2>/dev/null || status=$?
[ "$status" -eq 4 ] || fail "resumed budget run: exit $status"
spent=$(bill)
python3 -c "import sys; sys.exit(0 if $spent <= $budget else 1)" \
    || fail "the two runs of the job billed $spent > budget $budget"
[ "$(wc -l <"$TMP/job.jsonl")" -eq 60 ] || fail "resumed budget run: not 60 lines"

# an unknown model's cost is unknown, never guessed; a budget then refuses to start (the
# simulator serves any model but lists only its defaults: no preflight)
"$VB_BIN" run --base-url "$SIM_URL" -m my-local-llava -c 4 --no-journal --no-preflight -o "$TMP/unknown.jsonl" \
    "$TMP/in" 2>"$TMP/unknown.err" || fail "unknown model run"
grep -q "no price is known for model my-local-llava" "$TMP/unknown.err" || fail "no warning"
grep -q '"cost_usd":null' "$TMP/unknown.jsonl" || fail "unknown cost not null"
status=0
"$VB_BIN" run --base-url "$SIM_URL" -m my-local-llava --budget 1 --no-journal --no-preflight "$TMP/in" \
    >/dev/null 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "budget with an unknown price: exit $status"
echo "run_cost: ok"
