# batchapi_kill.sh - --batch-api survives kill -9 at any moment: a run killed five times
# (while building, uploading, creating, polling, collecting) and run again each time ends
# with exactly one result line per image, no image in two batches, none billed twice.
source "$(dirname "$0")/lib.sh"
PROVIDER=${PROVIDER:-openai} MODEL=${MODEL:-gpt-4o-mini} KEY_VAR=${KEY_VAR:-OPENAI_API_KEY}
source "$(dirname "$0")/batchapi_lib.inc"

N=240
mkdir -p "$TMP/in"
gen_images "$TMP/in" $N --seed 53 --min-side 40 --max-side 500
start_sim --key "$KEY" --batch-seconds 0.8
RANDOM=${VB_KILL_SEED:-7}
run_bg() {
    vbrun --batch-api --poll-interval 0.1 --batch-api-max-lines 30 --journal "$TMP/k.journal" \
        -o "$TMP/k.jsonl" "$TMP/in" 2>>"$TMP/k.err" &
    echo $!
}
for round in 1 2 3 4 5; do
    pid=$(run_bg)
    VB_PIDS+=("$pid")
    # a moment between 50 ms and 1.5 s into the run
    sleep "$(python3 -c "import random; random.seed($RANDOM); print(round(random.uniform(0.05, 1.5), 3))")"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
done
vbrun --batch-api --poll-interval 0.1 --batch-api-max-lines 30 --journal "$TMP/k.journal" \
    -o "$TMP/k.jsonl" "$TMP/in" 2>>"$TMP/k.err" || { cat "$TMP/k.err"; fail "the last run failed"; }
check_batch_lines "$TMP/k.jsonl" $N
[ "$(sim_stat batch.billed_twice)" -eq 0 ] || fail "a line was billed twice"
[ "$(sim_stat batch.lines.ok)" -eq $N ] ||
    fail "$(sim_stat batch.lines.ok) ok lines for $N images: an image went twice"
echo "batchapi_kill: ok ($(sim_stat batch.batches) batches)"
