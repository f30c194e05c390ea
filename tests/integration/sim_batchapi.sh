# sim_batchapi.sh - the simulator's batch APIs (OpenAI Files + Batches, Anthropic Message
# Batches, Gemini batchGenerateContent), driven with curl (batchapi_curl.py): upload,
# create, poll, results for each protocol, each line answered as the online endpoint
# answers the same body (same text and usage; what it refuses is a failed line), the
# compressed clock, shuffled output, every batch fault flag, cancel, the key, the
# validation of files and requests, and /sim/stats' "batch" with billed_twice.
source "$(dirname "$0")/lib.sh"

# batch_py SCRIPT: runs a Python check with batchapi_curl imported as b and ROOT, the
# simulator's root URL (assertions fail the test).
batch_py() {
    PYTHONPATH="$VB_SRC/tests/integration" TMPDIR="$TMP" ROOT="${SIM_URL%/v1}" \
        python3 -c "import os, json, time; import batchapi_curl as b; ROOT = os.environ['ROOT']
$(cat)" || fail "$1"
}

# --- Round trip, three protocols: answers and usage as online, refused lines, stats ------
start_sim --key secret --batch-seconds 0.6 --seed 7
batch_py "round trip" <<'EOF'
bill = {"prompt": 0, "completion": 0}
for p in b.protocols(ROOT):
    bodies = [p.body(img) for img in b.IMAGES] + [p.body(b.BAD_IMAGE[1], b.BAD_IMAGE[0])]
    online = [p.online(body) for body in bodies]
    assert [r.status for r in online] == [200, 200, 200, 400], (p.name, online)
    cids = [f"c000001-{i}" for i in range(4)]
    bid = p.submit(list(zip(cids, bodies)))
    final, seen = b.wait(p, bid)
    want = {"openai": ["validating", "in_progress", "finalizing", "completed"],
            "anthropic": ["in_progress", "ended"],
            "gemini": ["BATCH_STATE_PENDING", "BATCH_STATE_RUNNING", "BATCH_STATE_SUCCEEDED"]}
    # polls may miss the short validating and finalizing phases, not the running one
    it = iter(want[p.name])
    assert all(s in it for s in seen) and seen[-1] == want[p.name][-1], (p.name, seen)
    assert want[p.name][-2 if p.name == "anthropic" else 1] in seen, (p.name, seen)
    res = p.results(final)
    assert sorted(r[0] for r in res) == cids, (p.name, res)
    by_cid = {r[0]: r for r in res}
    for cid, o in zip(cids[:3], online[:3]):
        cid_, kind, status, answer = by_cid[cid]
        assert kind == "ok", by_cid[cid]
        assert p.usage(answer) == p.usage(o.json()), (p.name, p.usage(answer), p.usage(o.json()))
        assert p.text(answer) == p.text(o.json()), (p.name, answer)
        u = p.usage(answer)
        bill["prompt"] += u.get("prompt_tokens", u.get("input_tokens", u.get("promptTokenCount")))
        bill["completion"] += (u.get("completion_tokens") or u.get("output_tokens") or
                               u["totalTokenCount"] - u["promptTokenCount"])
    _, kind, status, err = by_cid[cids[3]]
    bad = online[3].json()
    if p.name == "openai":
        assert (kind, status) == ("failed", 400) and err == bad, (err, bad)
        c = final["request_counts"]
        assert c == {"total": 4, "completed": 3, "failed": 1}, final
        assert final["errors"] is None and final["completed_at"] >= final["created_at"], final
        assert final["usage"]["input_tokens"] > 0, final
    elif p.name == "anthropic":
        assert (kind, status) == ("failed", "invalid_request_error"), by_cid[cids[3]]
        assert err["error"] == bad["error"], (err, bad)
        assert final["request_counts"] == {"processing": 0, "succeeded": 3, "errored": 1,
                                           "canceled": 0, "expired": 0}, final
        assert final["ended_at"] is not None, final
    else:
        assert (kind, status) == ("failed", "INVALID_ARGUMENT") and err["code"] == 400, err
        assert err == bad["error"], (err, bad)
        s = final["metadata"]["batchStats"]
        assert s == {"requestCount": "4", "successfulRequestCount": "3",
                     "failedRequestCount": "1", "pendingRequestCount": "0"}, s
S = b.stats(ROOT)["batch"]
assert S["files"] == 2 and S["batches"] == 3 and S["open"] == 0, S
assert S["by_protocol"] == {"openai": 1, "anthropic": 1, "gemini": 1}, S
assert S["final"] == {"completed": 3, "failed": 0, "expired": 0, "cancelled": 0}, S
assert S["lines"] == {"ok": 9, "failed": 3, "faults": 0, "not_run": 0}, S
assert S["prompt_tokens"] == bill["prompt"] and S["completion_tokens"] == bill["completion"], (S, bill)
assert S["billed_twice"] == 0 and S["refused"] == 0, S
# online calls are the online counters' business, batch lines are not
top = b.stats(ROOT)
assert top["requests_by_protocol"] == {"openai": 4, "anthropic": 4, "gemini": 4}, top
assert top["images_billed"] == 9, top
open(os.environ["TMPDIR"] + "/tokens.json", "w").write(json.dumps(
    {p.name: p.usage(p.online(p.body(b.IMAGES[0])).json()) for p in b.protocols(ROOT)}))
EOF

# --- billed_twice: the same images billed ok in a second batch, then /sim/reset ----------
batch_py "billed twice" <<'EOF'
o = b.OpenAI(ROOT)
bodies = [o.body(img) for img in b.IMAGES]
bid = o.submit([(f"c000002-{i}", body) for i, body in enumerate(bodies)])
final, _ = b.wait(o, bid)
assert final["request_counts"]["completed"] == 3, final
S = b.stats(ROOT)["batch"]
assert S["billed_twice"] == 3 and S["lines"]["ok"] == 12, S
# a different prompt on the same images is still the same images billed again
bodies[0]["messages"][0]["content"][0]["text"] = "What colour is it?"
b.wait(o, o.submit([("c000003-0", bodies[0])]))
assert b.stats(ROOT)["batch"]["billed_twice"] == 4
assert b.curl("POST", ROOT + "/sim/reset").status == 200
S = b.stats(ROOT)["batch"]
assert S["billed_twice"] == 0 and S["lines"]["ok"] == 0 and S["batches"] == 0, S
b.wait(o, o.submit([("c000004-0", bodies[1])]))
S = b.stats(ROOT)["batch"]
assert S["billed_twice"] == 0 and S["lines"]["ok"] == 1 and S["batches"] == 1, S
EOF

# --- The key: required on every endpoint, in each protocol's own refusal -----------------
batch_py "key required" <<'EOF'
o, a, g = b.protocols(ROOT)
r = b.curl("GET", o.base + "/batches")
assert r.status == 401 and r.json()["error"]["code"] == "invalid_api_key", r
r = b.curl("GET", o.base + "/batches", o.auth("wrong"))
assert r.status == 401, r
assert o.upload("{}\n", key="").status == 401
assert b.curl("GET", o.base + "/files/file-x/content").status == 401
r = a.create([("c1", a.body(b.IMAGES[0]))], key="")
assert r.status == 401 and r.json()["error"]["type"] == "authentication_error", r
assert b.curl("GET", a.base + "/batches/msgbatch_x/results", a.auth("wrong")).status == 401
r = g.upload("{}\n", key="")
assert r.status == 403 and r.json()["error"]["status"] == "PERMISSION_DENIED", r
r = g.upload("{}\n", key="wrong")
assert r.status == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT", r
assert b.curl("GET", g.base + "/batches").status == 403
assert b.curl("GET", g.base + "/batches", g.auth()).status == 200
# unknown batches and files are the protocols' 404s
assert b.curl("GET", o.base + "/batches/batch_nope", o.auth()).status == 404
r = b.curl("GET", a.base + "/batches/msgbatch_nope", a.auth())
assert r.status == 404 and r.json()["error"]["type"] == "not_found_error", r
r = b.curl("GET", g.base + "/batches/nope", g.auth())
assert r.status == 404 and r.json()["error"]["status"] == "NOT_FOUND", r
EOF
kill "$SIM_PID"

# --- Shuffled output: a permutation, the same for the same --seed ------------------------
# order SEED: prints the custom_ids of a 12-line OpenAI batch's output, in file order.
order() {
    start_sim --batch-seconds 0.1 --seed "$1"
    batch_py "order" <<'EOF'
o = b.OpenAI(ROOT)
cids = [f"c{i:06d}-0" for i in range(12)]
bid = o.submit([(c, o.body(b.IMAGES[i % 3])) for i, c in enumerate(cids)])
res = o.results(b.wait(o, bid)[0])
got = [r[0] for r in res]
assert sorted(got) == cids and got != cids, got
print(" ".join(got))
EOF
    kill "$SIM_PID"
}
first=$(order 11)
[ "$first" = "$(order 11)" ] || fail "the same --seed gave another order"
[ "$first" != "$(order 12)" ] || fail "another --seed gave the same order"

# --- --batch-line-fail-rate: retryable failures in each protocol's shape; a resubmitted
# line usually succeeds ------------------------------------------------------------------
start_sim --batch-seconds 0.2 --seed 3 --batch-line-fail-rate 0.5
batch_py "line failures" <<'EOF'
shapes = {"openai": 500, "anthropic": "api_error", "gemini": "UNAVAILABLE"}
faults = 0
for p in b.protocols(ROOT):
    lines = [(f"c000001-{i}", p.body(b.IMAGES[i % 3])) for i in range(20)]
    res = p.results(b.wait(p, p.submit(lines))[0])
    failed = [r for r in res if r[1] == "failed"]
    assert 3 <= len(failed) <= 17, (p.name, len(failed))
    assert all(r[2] == shapes[p.name] for r in failed), failed
    if p.name == "openai":
        assert all(r[3]["error"]["type"] == "server_error" for r in failed), failed
    elif p.name == "gemini":
        assert all(r[3]["code"] == 503 for r in failed), failed
    faults += len(failed)
    again = {c: body for c, body in lines if c in {r[0] for r in failed}}
    res2 = p.results(b.wait(p, p.submit(list(again.items())))[0])
    assert sorted(r[0] for r in res2) == sorted(again), res2
    assert any(r[1] == "ok" for r in res2), (p.name, res2)
    faults += sum(r[1] == "failed" for r in res2)
S = b.stats(ROOT)["batch"]
assert S["lines"]["faults"] == faults == S["lines"]["failed"], (S, faults)
EOF
kill "$SIM_PID"

# --- --batch-expire N:F: the N-th batch expires with a fraction F not run -----------------
for proto in openai anthropic gemini; do
    start_sim --batch-seconds 0.3 --seed 4 --batch-expire 2:0.4
    PROTO=$proto batch_py "expire $proto" <<'EOF'
p = {x.name: x for x in b.protocols(ROOT)}[os.environ["PROTO"]]
lines = [(f"c000001-{i}", p.body(b.IMAGES[i % 3])) for i in range(10)]
first, _ = b.wait(p, p.submit(lines[:2]))         # the first batch is not the one
assert p.state(first) in ("completed", "ended", "BATCH_STATE_SUCCEEDED"), first
final, seen = b.wait(p, p.submit(lines))
S = b.stats(ROOT)["batch"]
if p.name == "gemini":
    assert p.state(final) == "BATCH_STATE_EXPIRED" and final["done"] is True, final
    assert "response" not in final and "output" not in final["metadata"], final
    assert final["metadata"]["batchStats"]["pendingRequestCount"] == "10", final
    name = "files/batch-" + final["name"][len("batches/"):]
    r = b.curl("GET", f"{ROOT}/download/v1beta/{name}:download?alt=media", p.auth())
    assert r.status == 404, r
    assert S["lines"] == {"ok": 2, "failed": 0, "faults": 0, "not_run": 10}, S
else:
    res = p.results(final)
    ok = sorted(r[0] for r in res if r[1] == "ok")
    not_run = [r for r in res if r[1] == "not_run"]
    assert len(ok) == 6 and len(not_run) == 4 and len(res) == 10, res
    if p.name == "openai":
        assert final["status"] == "expired" and final["expired_at"], final
        assert final["completed_at"] is None and final["finalizing_at"] is None, final
        assert final["request_counts"] == {"total": 10, "completed": 6, "failed": 4}, final
        assert all(r[2] == "batch_expired" for r in not_run), not_run
        assert "finalizing" not in seen, seen
    else:
        assert final["processing_status"] == "ended", final
        assert final["request_counts"]["expired"] == 4, final
        assert final["request_counts"]["succeeded"] == 6, final
        assert all(r[2] == "expired" for r in not_run), not_run
    assert S["lines"] == {"ok": 8, "failed": 0, "faults": 0, "not_run": 4}, S
assert S["final"]["expired"] == 1 and S["final"]["completed"] == 1, S
EOF
    kill "$SIM_PID"
done

# --- --batch-validation-fail N, and the real checks of files and requests ---------------
start_sim --batch-seconds 0.2 --batch-validation-fail 2
batch_py "validation" <<'EOF'
o, a, g = b.protocols(ROOT)
lines = [(f"c000001-{i}", None) for i in range(3)]
ol = [(c, o.body(b.IMAGES[i])) for i, (c, _) in enumerate(lines)]
b.wait(o, o.submit(ol))                           # the first create is not the one
final, seen = b.wait(o, o.submit(ol))             # the second fails validation
assert final["status"] == "failed" and seen[-1] == "failed", (final, seen)
assert final["errors"] == {"object": "list", "data": [{
    "code": "invalid_json_line", "line": 2, "param": None,
    "message": "This line is not parseable as valid JSON."}]}, final
assert final["failed_at"] and final["in_progress_at"] is None, final
assert final["output_file_id"] is None and final["error_file_id"] is None, final
assert final["request_counts"] == {"total": 0, "completed": 0, "failed": 0}, final
# the real checks: a line that is not JSON, a repeated custom_id, another url, two models
text = o.jsonl(ol)
rows = text.splitlines(True)
cases = {
    "invalid_json_line": rows[0] + '{"custom_id": "c000001-1", "method": \n' + rows[2],
    "duplicate_custom_id": rows[0] + rows[0].replace('"c000001-0"', '"c000001-0"') + rows[2],
    "url_mismatch": rows[0] + rows[1].replace("/v1/chat/completions", "/v1/embeddings") + rows[2],
    "model_mismatch": rows[0] + rows[1].replace('"gpt-4o"', '"gpt-4o-mini"') + rows[2],
}
for code, bad in cases.items():
    r = o.create_from_text(bad)
    assert r.status == 200, r
    final, _ = b.wait(o, r.json()["id"])
    assert final["status"] == "failed", final
    errs = final["errors"]["data"]
    assert errs[0]["code"] == code and errs[0]["line"] == 2, (code, errs)
    assert len(errs) == 1 or code == "invalid_json_line", errs
r = o.create_from_text("\n")
assert b.wait(o, r.json()["id"])[0]["errors"]["data"][0]["code"] == "empty_file"
r = b.curl("POST", o.base + "/batches", o.auth(), json.dumps(
    {"input_file_id": "file-none", "endpoint": "/v1/chat/completions", "completion_window": "24h"}))
assert r.status == 404, r
up = o.upload(text).json()
for field, value in [("endpoint", "/v1/embeddings"), ("completion_window", "1h"),
                     ("metadata", {f"k{i}": "v" for i in range(17)})]:
    body = {"input_file_id": up["id"], "endpoint": "/v1/chat/completions",
            "completion_window": "24h", field: value}
    r = b.curl("POST", o.base + "/batches", o.auth(), json.dumps(body))
    assert r.status == 400 and r.json()["error"]["param"] == field, (field, r)
# Anthropic: the create is refused, naming requests.1.params; Gemini: FAILED with a message
r = a.create([(c, a.body(b.IMAGES[i])) for i, (c, _) in enumerate(lines)])
assert r.status == 200, r
for cid, why in [("x" * 65, "requests.0.custom_id: String should have at most 64 characters"),
                 ("a b", "requests.0.custom_id: String should match pattern"),
                 ("", "requests.0.custom_id: String should match pattern")]:
    r = a.create([(cid, a.body(b.IMAGES[0]))])
    assert r.status == 400 and r.json()["error"]["type"] == "invalid_request_error", r
    assert r.json()["error"]["message"].startswith(why), r
r = a.create([("c1", a.body(b.IMAGES[0])), ("c1", a.body(b.IMAGES[1]))])
assert r.status == 400 and "requests.1.custom_id" in r.json()["error"]["message"], r
r = a.create([("c1", a.body(b.IMAGES[0])), ("c2", "not an object")])
assert r.status == 400 and r.json()["error"]["message"].startswith("requests.1.params"), r
r = a.create([("c" * 64, a.body(b.IMAGES[0]))])
assert r.status == 200, r
S = b.stats(ROOT)["batch"]
# OpenAI: the fault's batch, the four bad files and the empty one failed
assert S["refused"] == 0 and S["final"]["failed"] == 6 and S["batches"] == 9, S
EOF
kill "$SIM_PID"

start_sim --batch-seconds 0.2 --batch-validation-fail 1
batch_py "validation fault, Anthropic" <<'EOF'
a = b.Anthropic(ROOT)
lines = [(f"c000001-{i}", a.body(b.IMAGES[i])) for i in range(3)]
r = a.create(lines)
assert r.status == 400 and r.json()["error"]["type"] == "invalid_request_error", r
assert r.json()["error"]["message"].startswith("requests.1.params: "), r
b.wait(a, a.submit(lines))                        # the next create goes
S = b.stats(ROOT)["batch"]
assert S["refused"] == 1 and S["batches"] == 1 and S["final"]["completed"] == 1, S
EOF
kill "$SIM_PID"

start_sim --batch-seconds 0.2 --batch-validation-fail 1
batch_py "validation fault, Gemini" <<'EOF'
g = b.Gemini(ROOT)
lines = [(f"c000001-{i}", g.body(b.IMAGES[i])) for i in range(3)]
final, seen = b.wait(g, g.submit(lines))
assert seen[-1] == "BATCH_STATE_FAILED" and final["done"] is True, (final, seen)
assert "response" not in final and "line 2" in final["error"]["message"].lower(), final
assert final["metadata"]["endTime"], final
EOF
kill "$SIM_PID"

# --- --batch-enqueued-tokens N: one batch fits, two unfinished ones do not ----------------
for proto in openai anthropic gemini; do
    tokens=$(python3 -c "import json,sys; u=json.load(open('$TMP/tokens.json'))['$proto'];
print(u.get('prompt_tokens', u.get('input_tokens', u.get('promptTokenCount'))))")
    # a batch of two lines weighs 2 x tokens: 3 x tokens lets one go, not two
    start_sim --batch-seconds 1.5 --batch-enqueued-tokens $((3 * tokens))
    PROTO=$proto batch_py "enqueued tokens $proto" <<'EOF'
p = {x.name: x for x in b.protocols(ROOT)}[os.environ["PROTO"]]
lines = [(f"c000001-{i}", p.body(b.IMAGES[0])) for i in range(2)]
first = p.submit(lines)
r = p.create(lines)                               # while the first is unfinished
if p.name == "openai":
    assert r.status == 200, r
    final, _ = b.wait(p, r.json()["id"])
    e = final["errors"]["data"][0]
    assert final["status"] == "failed" and e["code"] == "token_limit_exceeded", final
    assert e["line"] is None and e["message"].startswith("Enqueued token limit reached for gpt-4o"), e
elif p.name == "anthropic":
    assert r.status == 429 and r.json()["error"]["type"] == "rate_limit_error", r
else:
    assert r.status == 429 and r.json()["error"]["status"] == "RESOURCE_EXHAUSTED", r
b.wait(p, first)
b.wait(p, p.submit(lines))                        # the first one finished: room again
S = b.stats(ROOT)["batch"]
assert S["final"]["completed"] == 2, S
assert S["refused"] == (0 if p.name == "openai" else 1), S
EOF
    kill "$SIM_PID"
done

# --- Cancel: cancelling for 0.2 s, then cancelled; lines not processed are not run -------
start_sim --batch-seconds 4 --seed 9
batch_py "cancel" <<'EOF'
for p in b.protocols(ROOT):
    lines = [(f"c000001-{i}", p.body(b.IMAGES[i % 3])) for i in range(10)]
    bid = p.submit(lines)
    time.sleep(2.0)                               # about half way through the lines
    r = p.cancel(bid)
    assert r.status == 200, r
    if p.name == "openai":
        assert r.json()["status"] == "cancelling" and r.json()["cancelling_at"], r
    elif p.name == "anthropic":
        assert r.json()["processing_status"] == "canceling", r
        assert r.json()["cancel_initiated_at"], r
    else:
        assert r.json() == {}, r
    assert p.cancel(bid).status == 200            # again while cancelling: the same
    final, seen = b.wait(p, bid)
    assert p.state(final) in ("cancelled", "ended", "BATCH_STATE_CANCELLED"), final
    res = p.results(final)
    ok = [x for x in res if x[1] == "ok"]
    not_run = [x for x in res if x[1] == "not_run"]
    assert len(res) == 10 and 0 < len(ok) < 10 and len(ok) + len(not_run) == 10, (p.name, res)
    if p.name == "openai":
        assert all(x[2] == "batch_cancelled" for x in not_run), not_run
        assert final["cancelled_at"] and final["request_counts"]["completed"] == len(ok), final
    elif p.name == "anthropic":
        assert all(x[2] == "canceled" for x in not_run), not_run
        assert final["request_counts"]["canceled"] == len(not_run), final
    else:
        assert all(x[2] == "CANCELLED" for x in not_run), not_run
    r = p.cancel(bid)                             # a final batch cannot be cancelled
    assert r.status == 400, r
S = b.stats(ROOT)["batch"]
assert S["final"]["cancelled"] == 3 and S["lines"]["ok"] + S["lines"]["not_run"] == 30, S
EOF
kill "$SIM_PID"

echo "PASS"
