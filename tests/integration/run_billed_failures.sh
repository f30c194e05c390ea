# run_billed_failures.sh - answers that are billed but cannot be used (#17, "Money"): a
# refusal is an item result of its own kind, paid from its usage and never asked again; a
# cut-off 200 is asked again at most twice, each attempt counted at its worst case; usage
# no request can have fails the item instead of costing trillions; the budget holds
# through all of it by the server's own bill; "uploaded" is what went on the wire.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/in"
gen_images "$TMP/in" 60 --seed 43 --min-side 200 --max-side 900
# gpt-4o-mini list prices (data/pricing.json): $0.15 / $0.60 per 1M tokens
bill() { python3 -c "print(($(sim_stat prompt_tokens) * 0.15 + $(sim_stat completion_tokens) * 0.60) / 1e6)"; }
run() { "$VB_BIN" run --base-url "$SIM_URL" -m gpt-4o-mini --detail high -c 8 --no-journal "$@"; }

# 1. every answer a refusal: 60 requests, no retry, each line "refused" with the model's
# words, the lines' cost is the server's bill
start_sim --latency-ms 5 --refusal-rate 1
status=0
run --stats-json "$TMP/refused.json" -o "$TMP/refused.jsonl" "$TMP/in" 2>"$TMP/refused.err" || status=$?
[ "$status" -eq 1 ] || { cat "$TMP/refused.err"; fail "refusals: exit $status, expected 1"; }
[ "$(sim_stat requests)" -eq 60 ] || fail "refusals were asked again: $(sim_stat requests) requests"
py "$TMP/refused.jsonl" "$TMP/refused.json" "$(bill)" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
summary = json.load(open(sys.argv[2]))
bill = float(sys.argv[3])
assert len(lines) == 60, len(lines)
for l in lines:
    assert l["status"] == "error" and l["error"]["kind"] == "refused", l
    assert l["attempts"] == 1, l
    assert "can't help" in l["response"], l
    assert l["usage"]["prompt_tokens"] > 0 and l["cost_usd"] > 0, l
total = sum(l["cost_usd"] for l in lines)
assert bill > 0 and abs(total - bill) < 1e-9, (total, bill)
assert abs(summary["cost_usd"] - bill) < 1e-9, (summary["cost_usd"], bill)
assert summary["failed_by_kind"] == {"refused": 60}, summary["failed_by_kind"]
PY
full=$(bill)

# 2. the same with a budget of a third: the server's bill stays within it, exit 4
budget=$(python3 -c "print(round($full / 3, 6))")
curl -sf -X POST "${SIM_URL%/v1}/sim/reset" >/dev/null
status=0
run --budget "$budget" -o "$TMP/refused_budget.jsonl" "$TMP/in" 2>"$TMP/rb.err" || status=$?
[ "$status" -eq 4 ] || { cat "$TMP/rb.err"; fail "refusals with a budget: exit $status, expected 4"; }
spent=$(bill)
python3 -c "import sys; sys.exit(0 if 0 < $spent <= $budget else 1)" \
    || fail "refusals billed $spent, budget $budget"
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true

# 3. every answer cut in half (billed by the server, unusable here): 3 answers per item at
# most, each counted at the worst case, so the run's figure is at least the server's bill;
# with a budget the bill stays within it
start_sim --latency-ms 5 --truncate-rate 1
status=0
run --retry-base 0.01 --stats-json "$TMP/cut.json" -o "$TMP/cut.jsonl" "$TMP/in" 2>"$TMP/cut.err" \
    || status=$?
[ "$status" -eq 1 ] || { cat "$TMP/cut.err"; fail "cut answers: exit $status, expected 1"; }
[ "$(sim_stat requests)" -eq 180 ] || fail "cut answers: $(sim_stat requests) requests, expected 3 per item"
py "$TMP/cut.jsonl" "$TMP/cut.json" "$(bill)" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
summary = json.load(open(sys.argv[2]))
bill = float(sys.argv[3])
assert all(l["error"]["kind"] == "invalid_response" and l["attempts"] == 3 for l in lines), lines[0]
assert all("each billed" in l["error"]["message"] for l in lines), lines[0]["error"]
assert summary["usage_missing"] == 180, summary["usage_missing"]
assert summary["cost_usd"] >= bill > 0, (summary["cost_usd"], bill)
assert abs(sum(l["cost_usd"] for l in lines) - summary["cost_usd"]) < 1e-9
PY
grep -q "180 billed answers came without usable usage" "$TMP/cut.err" || fail "summary does not say it"
curl -sf -X POST "${SIM_URL%/v1}/sim/reset" >/dev/null
status=0
run --retry-base 0.01 --budget "$budget" -o "$TMP/cut_budget.jsonl" "$TMP/in" 2>"$TMP/cb.err" \
    || status=$?
[ "$status" -eq 4 ] || { cat "$TMP/cb.err"; fail "cut answers with a budget: exit $status"; }
spent=$(bill)
python3 -c "import sys; sys.exit(0 if $spent <= $budget else 1)" \
    || fail "cut answers billed $spent, budget $budget"
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true

# 4. usage no request can have: one error line each, no overflow, no retry, a finite cost
cat >"$TMP/absurd.py" <<'PY'
import http.server, json, sys
counts = ["9223372036854775807", "-40", "1e300"]
n = [0]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        c = counts[n[0] % len(counts)]; n[0] += 1
        body = ('{"id":"x","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,'
                '"message":{"role":"assistant","content":"A shoe"},"finish_reason":"stop"}],'
                '"usage":{"prompt_tokens":%s,"completion_tokens":%s,"total_tokens":%s}}' % (c, c, c)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$TMP/absurd.py" >"$TMP/absurd.port" &
VB_PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$TMP/absurd.port" ] && break; sleep 0.05; done
port=$(cat "$TMP/absurd.port")
status=0
"$VB_BIN" run --base-url "http://127.0.0.1:$port/v1" -m gpt-4o-mini -c 2 --no-journal \
    --stats-json "$TMP/absurd.json" -o "$TMP/absurd.jsonl" "$TMP/in" 2>"$TMP/absurd.err" || status=$?
[ "$status" -eq 1 ] || { cat "$TMP/absurd.err"; fail "absurd usage: exit $status, expected 1"; }
py "$TMP/absurd.jsonl" "$TMP/absurd.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
summary = json.load(open(sys.argv[2]))
assert len(lines) == 60
for l in lines:
    assert l["status"] == "error", l
    assert l["error"]["kind"] in ("invalid_response",), l
    assert l["usage"] is None or all(v is None or 0 <= v <= 10000000 for v in l["usage"].values()), l
# worst cases of 60 small images at gpt-4o-mini prices: cents, not trillions
assert 0 < summary["cost_usd"] < 1, summary["cost_usd"]
assert 0 <= summary["prompt_tokens"] < 10**9 and 0 <= summary["completion_tokens"] < 10**9
PY

# 5. stopped while items wait to be asked again after a cut answer: what those answers cost
# is in the run's spend (not lost with the unfinished items), and the journal keeps it for
# the job's budget on resume
start_sim --latency-ms 5 --truncate-rate 1
"$VB_BIN" run --base-url "$SIM_URL" -m gpt-4o-mini --detail high -c 4 --retry-base 60 --retry-max 60 \
    --journal "$TMP/stop.journal" --stats-json "$TMP/stop.json" -o "$TMP/stop.jsonl" "$TMP/in" \
    2>"$TMP/stop.err" &
vb=$!
VB_PIDS+=("$vb")
for _ in $(seq 1 200); do [ "$(sim_stat requests)" -ge 8 ] && break; sleep 0.05; done
kill -INT "$vb"
status=0
wait "$vb" || status=$?
[ "$status" -eq 130 ] || { cat "$TMP/stop.err"; fail "stopped run: exit $status, expected 130"; }
py "$TMP/stop.json" "$(bill)" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
bill = float(sys.argv[2])
assert bill > 0 and s["cost_usd"] >= bill, (s["cost_usd"], bill)
PY
spent=$(python3 - "$TMP/stop.journal" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(dict(db.execute("SELECT key, value FROM meta")).get("spent_unfinished_usd", "0"))
PY
)
python3 -c "import sys; sys.exit(0 if float('$spent') >= $(bill) else 1)" \
    || fail "the journal kept $spent of $(bill) paid for unfinished items"
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true

# 6. nothing listening: no byte went, so nothing was uploaded
port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
status=0
"$VB_BIN" run --base-url "http://127.0.0.1:$port/v1" -m gpt-4o-mini -c 2 --retries 1 \
    --no-preflight --retry-base 0.01 --no-journal --stats-json "$TMP/closed.json" -o "$TMP/closed.jsonl" \
    "$TMP/in" 2>"$TMP/closed.err" || status=$?
[ "$status" -ne 0 ] || fail "a closed port succeeded"
py "$TMP/closed.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["bytes_uploaded"] == 0, s["bytes_uploaded"]
PY
echo "ok"
