# net_impair.sh - a link that delays, stalls and drops (tests/integration/impair.py, a
# userspace impairer: the kernel here has no netem) between visionbatch and the simulator:
# every image ends ok, with one result line each; what never reached the server is never
# billed, and only an answer lost on its way back is billed again (an API without
# idempotency keys cannot know a retry from a new request).
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/in"
gen_images "$TMP/in" 300 --seed 47 --min-side 64 --max-side 300
start_sim --latency-ms 20

# start_impair [impair.py options...]: the impairer in front of the simulator; sets
# IMPAIR_URL and IMPAIR_PID, its counters in $TMP/impair.json
start_impair() {
    local sim_port=${SIM_URL##*:}
    sim_port=${sim_port%%/*}
    python3 "$VB_SRC/tests/integration/impair.py" "$sim_port" --stats "$TMP/impair.json" "$@" \
        >"$TMP/impair.port" &
    IMPAIR_PID=$!
    VB_PIDS+=("$IMPAIR_PID")
    for _ in $(seq 1 100); do [ -s "$TMP/impair.port" ] && break; sleep 0.05; done
    [ -s "$TMP/impair.port" ] || fail "the impairer did not start"
    IMPAIR_URL="http://127.0.0.1:$(cat "$TMP/impair.port")/v1"
}
impair_stat() { python3 -c "import json,sys; print(json.load(open('$TMP/impair.json'))['$1'])"; }

start_impair --delay-ms 15 --drop-rate 0.05 --stall-rate 0.03 --stall-s 4 --lose-rate 0.03 --seed 5
status=0
"$VB_BIN" run --base-url "$IMPAIR_URL" -m gpt-4o-mini -c 16 --timeout 2 --retries 8 \
    --retry-base 0.05 --no-journal -o "$TMP/out.jsonl" "$TMP/in" 2>"$TMP/out.err" || status=$?
[ "$status" -eq 0 ] || { tail -5 "$TMP/out.err"; fail "through the impairer: exit $status"; }
kill -TERM "$IMPAIR_PID"; wait "$IMPAIR_PID" 2>/dev/null || true
py "$TMP/out.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ids = [l["id"] for l in lines]
assert len(lines) == 300 and len(set(ids)) == 300, (len(lines), len(set(ids)))
assert all(l["status"] == "ok" for l in lines), [l for l in lines if l["status"] != "ok"][:1]
PY
[ "$(impair_stat dropped)" -gt 0 ] && [ "$(impair_stat stalled)" -gt 0 ] \
    || fail "the impairer dropped $(impair_stat dropped) and stalled $(impair_stat stalled)"
[ "$(impair_stat lost)" -gt 0 ] || fail "the impairer lost no answer"
# billed: each image once, plus once per answer lost on the way back; never for a request
# that did not reach the server
[ "$(sim_stat images_billed)" -eq $((300 + $(impair_stat lost))) ] \
    || fail "billed $(sim_stat images_billed) images for 300 and $(impair_stat lost) lost answers"
[ "$(sim_stat distinct_images_billed)" -eq 300 ] || fail "not every image billed"
echo "impaired: $(cat "$TMP/impair.json")"
echo ok
