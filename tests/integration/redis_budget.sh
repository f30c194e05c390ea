# redis_budget.sh - a budget shared by three workers through Redis is never exceeded in
# what the simulator billed; the items that no longer fit are stored as skipped.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/redis_lib.inc"

N=300
gen_images "$TMP/in" "$N" --seed 13 --min-side 200 --max-side 900
start_redis
start_sim --latency-ms 30
# gpt-4o-mini list prices (data/pricing.json): $0.15 / $0.60 per 1M tokens
bill() { python3 -c "print(($(sim_stat prompt_tokens) * 0.15 + $(sim_stat completion_tokens) * 0.60) / 1e6)"; }
budget=0.05

common=(--redis "$REDIS_URL" --job "$JOB" --base-url "$SIM_URL" -c 8)
publish_job "${common[@]}" -m gpt-4o-mini --detail high --budget "$budget"
start_workers 2 "${common[@]}" # the budget comes from the job
for p in "${WORKERS[@]}"; do
    s=0
    wait "$p" || s=$?
    [ "$s" -eq 0 ] || [ "$s" -eq 4 ] || { cat "$TMP"/w*.err; fail "a worker exited $s"; }
done
spent=$(bill)
python3 -c "import sys; sys.exit(0 if $spent <= $budget else 1)" \
    || fail "the simulator billed \$$spent, over the shared budget of \$$budget"
check_one_result_each "$N"
"$VB_BIN" status --redis "$REDIS_URL" --job "$JOB" --json >"$TMP/st.json"
py "$TMP/st.json" "$N" "$spent" "$budget" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
n, spent, budget = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
assert st["skipped"] > 0, st                   # the budget did bind
assert st["ok"] > 0 and st["ok"] + st["skipped"] + st["failed"] == n, st
assert abs(st["spent_usd"] - spent) < 1e-4, (st, spent)
print(f"redis_budget: billed ${spent:.4f} of ${budget}, {st['ok']} ok, {st['skipped']} skipped")
PY
echo "redis_budget: ok"
