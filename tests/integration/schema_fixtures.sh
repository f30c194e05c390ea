#!/usr/bin/env bash
# schema_fixtures.sh - the request-schema check itself is checked: the committed schema
# accepts every known-good body in tests/schema/fixtures/valid.jsonl, rejects each body in
# invalid.jsonl on its own (exit 1), and refuses an empty recording (exit 2), so that the
# tests validating the client's recorded requests cannot pass by accident.
#
# Run by CTest (which sets VB_SRC); by hand:
#   VB_BIN=/bin/true VB_SIM=/bin/true VB_SRC=$PWD bash tests/integration/schema_fixtures.sh
source "$(dirname "$0")/lib.sh"

: "${VB_SRC:?VB_SRC must name the source tree}"
PY=/usr/bin/python3
CHECK="$VB_SRC/tests/schema/validate_requests.py"
SCHEMA="$VB_SRC/tests/schema/create-chat-completion-request.schema.json"
FIX="$VB_SRC/tests/schema/fixtures"

# Every valid body passes, and all of them were counted.
out=$("$PY" "$CHECK" "$SCHEMA" "$FIX/valid.jsonl") || fail "valid.jsonl was rejected: $out"
want=$(grep -c . "$FIX/valid.jsonl")
[ "$out" = "$want requests valid" ] || fail "valid.jsonl: expected '$want requests valid', got '$out'"

# Each invalid body fails on its own (exit 1, not a crash or a usage error).
n=0
while IFS= read -r body || [ -n "$body" ]; do
    [ -n "$body" ] || continue
    n=$((n + 1))
    printf '%s\n' "$body" >"$TMP/one.jsonl"
    rc=0
    out=$("$PY" "$CHECK" "$SCHEMA" "$TMP/one.jsonl") || rc=$?
    [ "$rc" -eq 1 ] || fail "invalid.jsonl line $n: expected exit 1, got $rc: ${body:0:200} / $out"
    grep -q '^1 of 1 requests invalid$' <<<"$out" || fail "invalid.jsonl line $n: no summary: $out"
done <"$FIX/invalid.jsonl"
[ "$n" -ge 10 ] || fail "invalid.jsonl has only $n bodies"

# A recording with nothing in it must not pass.
: >"$TMP/empty.jsonl"
rc=0
"$PY" "$CHECK" "$SCHEMA" "$TMP/empty.jsonl" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "empty file: expected exit 2, got $rc"

# The committed schema is what the extractor makes from the OpenAPI document, when that
# document is at hand (it is not in a user's clone).
OPENAPI=${VB_OPENAPI:-/work/shared/openapi/openai-openapi.json}
if [ -r "$OPENAPI" ]; then
    "$PY" "$VB_SRC/tests/schema/extract_schema.py" "$OPENAPI" "$TMP/schema.json" >/dev/null ||
        fail "extract_schema.py failed"
    cmp -s "$TMP/schema.json" "$SCHEMA" ||
        fail "tests/schema/create-chat-completion-request.schema.json is stale: rerun extract_schema.py"
fi

echo "schema fixtures: $want valid, $n invalid bodies checked"
