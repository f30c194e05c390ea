# ux_small.sh - the smaller points of issue 18's point 11: an INI value keeps its " ;";
# `worker --help` is the worker's; progress JSON says null for no budget; status and
# export name a missing journal or a file that is not one (and the journal meant); a
# run's *.journal.lock is gone when it ends.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/in"
gen_images "$TMP/in" 3 --seed 17 --min-side 64 --max-side 128
start_sim --record-requests "$TMP/requests.jsonl"
export OPENAI_API_KEY=sk-vbtest-small

# --- INI: only a line whose first non-blank is ';' or '#' is a comment
cat >"$TMP/vb.ini" <<'INI'
; a comment
  # an indented comment
[visionbatch]
prompt = a; b ; c # d
max-tokens = 77
INI
"$VB_BIN" run --base-url "$SIM_URL" --config "$TMP/vb.ini" --progress json \
    --progress-interval 0.1 -o "$TMP/out.jsonl" "$TMP/in" 2>"$TMP/run.err" ||
    { cat "$TMP/run.err"; fail "the run failed"; }
py "$TMP/requests.jsonl" <<'PY'
import json, sys
bodies = [json.loads(l) for l in open(sys.argv[1])]
posts = [b for b in bodies if "messages" in b]
assert len(posts) == 3, len(posts)
for b in posts:
    texts = [p["text"] for p in b["messages"][-1]["content"] if p.get("type") == "text"]
    assert texts == ["a; b ; c # d"], texts
    assert b["max_tokens"] == 77, b
PY

# --- progress JSON: no budget is null, not -1
py "$TMP/run.err" <<'PY'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
assert objs, "no progress JSON"
assert all(o["budget_left_usd"] is None for o in objs), objs[-1]
PY

# --- the lock file is removed when the run ends (and a second run still works)
[ -e "$TMP/out.journal" ] || fail "no journal"
[ ! -e "$TMP/out.journal.lock" ] || fail "out.journal.lock left behind"
"$VB_BIN" run --base-url "$SIM_URL" --config "$TMP/vb.ini" -q -o "$TMP/out.jsonl" "$TMP/in" ||
    fail "rerun failed"
[ ! -e "$TMP/out.journal.lock" ] || fail "out.journal.lock left behind by the rerun"

# --- worker --help is the worker's own usage
"$VB_BIN" worker --help >"$TMP/worker.txt" || fail "worker --help: exit status"
grep -q "^Usage: visionbatch worker --redis URL --job NAME" "$TMP/worker.txt" ||
    fail "worker --help: not the worker's usage"
grep -q "INPUT\.\.\.$" "$TMP/worker.txt" && grep -q "^Usage: visionbatch run" "$TMP/worker.txt" &&
    fail "worker --help prints run's usage"

# --- status / export on a missing file and on a file that is not a journal
# expect_error NAME MESSAGE CMD...: exit 2 and exactly MESSAGE on stderr
expect_error() {
    local name=$1 msg=$2 status=0
    shift 2
    "$@" >/dev/null 2>"$TMP/$name.err" || status=$?
    [ "$status" -eq 2 ] || { cat "$TMP/$name.err"; fail "$name: exit $status, expected 2"; }
    [ "$(cat "$TMP/$name.err")" = "$msg" ] || { cat "$TMP/$name.err"; fail "$name: message"; }
}
expect_error status-missing "visionbatch: no journal at $TMP/gone.journal; did you mean $TMP/out.journal?" \
    "$VB_BIN" status "$TMP/gone.journal"
expect_error status-jsonl "visionbatch: $TMP/out.jsonl is not a visionbatch journal; did you mean $TMP/out.journal?" \
    "$VB_BIN" status "$TMP/out.jsonl"
expect_error export-jsonl "visionbatch: $TMP/out.jsonl is not a visionbatch journal; did you mean $TMP/out.journal?" \
    "$VB_BIN" export "$TMP/out.jsonl"
mkdir -p "$TMP/bare"
expect_error export-missing "visionbatch: no journal at $TMP/bare/x.journal" \
    "$VB_BIN" export "$TMP/bare/x.journal"
"$VB_BIN" status "$TMP/out.journal" >/dev/null || fail "status on the real journal"
echo "ux_small: ok"
