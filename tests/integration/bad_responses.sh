# bad_responses.sh - every kind of broken answer a provider or a proxy sends, each
# classified as the retry table says (provider-facts.md §4; README "Bad responses"):
# retried and then failed with its kind, failed at once, or the run stopped.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/in"
gen_images "$TMP/in" 6 --seed 31 --min-side 64 --max-side 128
run() { # run NAME [options...]: exit status in $status, results in $TMP/NAME.jsonl
    local name=$1
    shift
    status=0
    "$VB_BIN" run --base-url "$SIM_URL" -o "$TMP/$name.jsonl" --no-journal -c 3 --retries 2 \
        --retry-base 0.01 --retry-max 0.02 "$@" "$TMP/in" 2>"$TMP/$name.err" || status=$?
}
# expect NAME EXIT "status/kind/attempts:count ...": the run's exit and its lines' classes
expect() {
    local got
    got=$(py "$TMP/$1.jsonl" <<'PY'
import json, sys, collections
c = collections.Counter()
for l in map(json.loads, open(sys.argv[1])):
    c[(l["status"], (l["error"] or {}).get("kind"), l["attempts"])] += 1
print(" ".join(f"{s}/{k}/{a}:{n}" for (s, k, a), n in sorted(c.items(), key=str)))
PY
)
    [ "$status" -eq "$2" ] || { cat "$TMP/$1.err"; fail "$1: exit $status, expected $2"; }
    [ "$got" = "$3" ] || fail "$1: got '$got', expected '$3'"
    echo "$1: $got"
}

# 200 with an HTML page, 200 with half the JSON, 200 with an error object: transient,
# retried (1 + 2 attempts), then failed with their kind
start_sim --html-rate 1
run html
expect html 1 "error/invalid_response/3:6"
grep -q "not chat.completion JSON: <!DOCTYPE html>" "$TMP/html.jsonl" || fail "html: message"
[ "$(sim_stat faults.html)" -eq 18 ] || fail "html: $(sim_stat faults.html) faults, expected 18"

start_sim --truncate-rate 1
run truncated
expect truncated 1 "error/invalid_response/3:6"

start_sim --error200-rate 1
run error200
expect error200 1 "error/server_error/3:6"
grep -q "HTTP 200 with an error: The server had an error" "$TMP/error200.jsonl" || fail "error200"

# an answer without usage is still the answer: ok, usage unknown
start_sim --no-usage-rate 1
run nousage
expect nousage 0 "ok/None/1:6"
py "$TMP/nousage.jsonl" <<'PY'
import json, sys
for l in map(json.loads, open(sys.argv[1])):
    assert l["response"] and l["usage"] is None, l
PY

# a quarter of the answers broken: every item still ends ok (an item is asked again after
# at most two unusable 200s, and none gets three here), its answer billed once besides
# the cut answers, which the provider bills too
start_sim --html-rate 0.1 --truncate-rate 0.1 --error200-rate 0.05 --seed 7
run mixed --retries 10
[ "$status" -eq 0 ] || fail "mixed: exit $status"
[ "$(grep -c '"status":"ok"' "$TMP/mixed.jsonl")" -eq 6 ] || fail "mixed: not all ok"
cut=$(sim_stat faults.truncate)
[ "$(( $(sim_stat faults.html) + cut + $(sim_stat faults.error200) ))" -gt 0 ] \
    || fail "mixed: no fault was injected"
[ "$(sim_stat images_billed)" -eq $((6 + cut)) ] || fail "mixed: billed $(sim_stat images_billed)"

# a body over the 8 MiB cap: the transfer is cut at the cap, the item fails at once
start_sim --huge-body-rate 1
start=$(date +%s%N)
run huge
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect huge 1 "error/too_large/1:6"
grep -q "response larger than 8388608 bytes" "$TMP/huge.jsonl" || fail "huge: message"
[ "$elapsed_ms" -lt 20000 ] || fail "huge: took ${elapsed_ms} ms (not cut early?)"

# a server dripping one byte every 100 ms: a timeout after --body-timeout, retried
start_sim --drip-rate 1
run drip --body-timeout 0.5 --retries 1
expect drip 1 "error/timeout/2:6"
grep -q "did not end within 0.5 s of its first byte" "$TMP/drip.jsonl" || fail "drip: message"

# the connection breaks half way through the body: network error, retried
start_sim --reset-rate 1
run reset
expect reset 1 "error/network/3:6"

# a redirect (here to itself: a loop) is never followed: the run stops at once
start_sim --redirect-rate 1
run redirect
[ "$status" -eq 3 ] || fail "redirect: exit $status, expected 3"
grep -q "never follows redirects" "$TMP/redirect.err" || fail "redirect: no reason on stderr"
[ "$(sim_stat requests)" -le 3 ] || fail "redirect: $(sim_stat requests) requests, more than -c 3"
echo "bad_responses: ok"
