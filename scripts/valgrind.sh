#!/usr/bin/env bash
# valgrind.sh - the memory gate: real runs of the real binaries under valgrind memcheck,
# against the real simulator (itself under valgrind), then every unit test program.
#
#   scripts/valgrind.sh [BUILD]      (default build/; make valgrind builds it first)
#
# The batch: 45 product images and 5 byte-identical copies (dedupe), 3 bad files (empty,
# HTML named .jpg, truncated JPEG) and a .jsonl manifest (a copy with meta, a broken line,
# an ftp:// URL); with a journal; the server injects 500s, so retries run. The
# first run is interrupted by SIGINT once results arrive (the cancel path), the same
# command resumes it, the folder then gains images (an incremental run), and status,
# export and estimate read the results; the folder then goes through the batch API with a
# third of its lines failing. Then the unit tests and the fuzz targets' seed
# corpora (fuzz/replay_main.c). Every process must leave no valgrind error and
# no definite or indirect leak; valgrind's own failure exit code is 97, kept apart from
# visionbatch's exit codes (1 = some items failed, which this batch expects).
# Suppressions: scripts/valgrind.supp (documented third-party issues only).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
export VB_BIN="$BUILD/visionbatch" VB_SIM="$BUILD/visionbatch-sim" VB_GEN="$BUILD/vb-sample-images"
export VB_SRC="$PWD"
for f in "$VB_BIN" "$VB_SIM" "$VB_GEN"; do
  [ -x "$f" ] || { echo "valgrind.sh: no $f (make build)" >&2; exit 2; }
done
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind missing (scripts/install-deps.sh)" >&2; exit 2; }
# the integration tests' helpers: TMP (removed at exit), VB_PIDS (killed at exit), fail,
# gen_images, sim_stat
source tests/integration/lib.sh
BIN="$VB_BIN"
# Unit tests left out: test_resize decodes and re-encodes multi-megapixel images, which
# takes minutes natively on a loaded machine and far longer under valgrind; it runs under
# ASan + UBSan in make test-sanitize.
SKIP_UNIT="test_resize"

VG=(valgrind --quiet --error-exitcode=97 --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --track-origins=yes --num-callers=30
    --suppressions=scripts/valgrind.supp --child-silent-after-fork=yes)
checked=0
# vg NAME CMD...: runs CMD under valgrind, its report in $TMP/NAME.vg; returns CMD's status.
vg() {
  local name=$1
  shift
  checked=$((checked + 1))
  "${VG[@]}" --log-file="$TMP/$name.vg" "$@"
}
# vg_check NAME STATUS ALLOWED...: fails on valgrind's code or an unexpected exit status.
vg_check() {
  local name=$1 status=$2
  shift 2
  if [ "$status" -eq 97 ] || [ -s "$TMP/$name.vg" ]; then
    cat "$TMP/$name.vg" >&2
    [ -n "${VG_KEEP:-}" ] && cp "$TMP/$name.vg" "$VG_KEEP/"
    fail "$name: valgrind reported errors"
  fi
  local ok
  for ok in "$@"; do [ "$status" -eq "$ok" ] && return 0; done
  fail "$name: exit status $status (expected $*)"
}

# ---- inputs -------------------------------------------------------------------------
mkdir -p "$TMP/in"
gen_images "$TMP/in" 45 --seed 81 --min-side 64 --max-side 400
n=0
for f in "$TMP"/in/product-00000[1-5].*; do n=$((n + 1)); cp "$f" "$TMP/in/copy-$n.${f##*.}"; done
: >"$TMP/in/empty.jpg"
echo "<html>not an image</html>" >"$TMP/in/page.jpg"
first_jpg=$(ls "$TMP"/in/product-*.jpg | head -n 1)
head -c 700 "$first_jpg" >"$TMP/in/truncated.jpg"
printf '%s\n' "{\"image\":\"in/product-000010.jpg\",\"id\":\"m1\",\"sku\":\"A-1\"}" \
  '{"image": broken' '{"image":"ftp://example.com/a.jpg","id":"m3"}' >"$TMP/list.jsonl"
[ -e "$TMP/in/product-000010.jpg" ] || fail "sample image product-000010.jpg missing"
total=$(( $(ls "$TMP/in" | wc -l) + 3 ))

# ---- the simulator, under valgrind --------------------------------------------------
# JSIMD_FORCENONE: libjpeg-turbo's SIMD decoder reads pixel rows memcheck cannot follow
# (a known false positive); the plain C decoder gives the same pixels.
JSIMD_FORCENONE=1 "${VG[@]}" --log-file="$TMP/sim.vg" "$VB_SIM" --port 0 --fail-rate 0.1 --seed 7 \
  --latency-ms 30 --batch-seconds 0.3 --batch-line-fail-rate 0.3 >"$TMP/sim.out" 2>"$TMP/sim.err" &
SIM_PID=$!
VB_PIDS+=("$SIM_PID")
SIM_URL=""
for _ in $(seq 1 600); do
  SIM_URL=$(head -n 1 "$TMP/sim.out" 2>/dev/null || true)
  [ -n "$SIM_URL" ] && break
  kill -0 "$SIM_PID" 2>/dev/null || { cat "$TMP/sim.err" "$TMP/sim.vg" >&2; fail "simulator exited"; }
  sleep 0.1
done
[ -n "$SIM_URL" ] || fail "simulator did not report its port"

run=("$BIN" run --base-url "$SIM_URL" -c 8 --retries 8 --retry-base 0.05 --retry-max 0.5 -q
     -o "$TMP/out.jsonl" "$TMP/in" "$TMP/list.jsonl")

# 1. interrupted: SIGINT once the first results are written (valgrind passes it on)
# (exec: $! is valgrind itself, which hands the signal to visionbatch)
status=0
(
  checked=0
  exec "${VG[@]}" --log-file="$TMP/run1.vg" "${run[@]}"
) &
pid=$!
checked=$((checked + 1))
for _ in $(seq 1 600); do
  [ -f "$TMP/out.jsonl" ] && [ "$(wc -l <"$TMP/out.jsonl")" -ge 5 ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -INT "$pid" 2>/dev/null || true
wait "$pid" || status=$?
vg_check run1 "$status" 130
interrupted=$(wc -l <"$TMP/out.jsonl")
# 2. the same command resumes and finishes (bad items fail: exit 1); nothing finished
#    is sent again, copies are not sent at all, no bad image reaches the server
status=0
vg run2 "${run[@]}" || status=$?
vg_check run2 "$status" 1
[ "$(sim_stat distinct_images_billed)" -eq 45 ] || fail "distinct images billed $(sim_stat distinct_images_billed), not 45"
[ "$(sim_stat responses.400)" -eq 0 ] || fail "the server saw $(sim_stat responses.400) invalid requests"
billed=$(sim_stat images_billed)
# 3. the folder gains images: only they are sent
gen_images "$TMP/in" 5 --seed 82 --start 1001 --min-side 64 --max-side 300
total=$((total + 5))
status=0
vg run3 "${run[@]}" || status=$?
vg_check run3 "$status" 1
[ $(( $(sim_stat images_billed) - billed )) -eq 5 ] || fail "incremental run billed $(( $(sim_stat images_billed) - billed )), not 5"

python3 - "$TMP/out.jsonl" "$total" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
total = int(sys.argv[2])
ids = {l["id"] for l in lines}
assert len(lines) == total == len(ids), (len(lines), total, len(ids))
bad = {l["id"]: l["error"]["kind"] for l in lines if l["status"] != "ok"}
assert len(bad) == 5, bad      # empty, page, truncated, broken manifest line, ftp URL
# a copy is answered as a duplicate, or from the result cache when its first finished
# before the SIGINT (which depends on where the interrupt falls)
assert sum(1 for l in lines if l.get("duplicate_of") or l.get("cached")) >= 5
assert any(l["id"] == "m1" and l["meta"] == {"sku": "A-1"} for l in lines)
PY

# 4. the journal's readers and the estimator
status=0
vg status "$BIN" status --json "$TMP/out.journal" >"$TMP/status.json" || status=$?
vg_check status "$status" 0
status=0
vg export "$BIN" export "$TMP/out.journal" -o "$TMP/export.jsonl" 2>/dev/null || status=$?
vg_check export "$status" 0
[ "$(sort "$TMP/export.jsonl" | md5sum)" = "$(sort "$TMP/out.jsonl" | md5sum)" ] || fail "export differs"
status=0
vg estimate "$BIN" estimate -q "$TMP/in" >/dev/null 2>&1 || status=$?
vg_check estimate "$status" 0 1

# 5. the same folder through the batch API (--batch-api), 30% of its lines failing and
#    sent again in later batches while earlier ones are collected; then its status
status=0
vg batch "$BIN" run --base-url "$SIM_URL" --batch-api --poll-interval 0.2 --batch-api-max-lines 8 \
  --retries 12 -q --journal "$TMP/batch.journal" -o "$TMP/batch.jsonl" "$TMP/in" 2>/dev/null || status=$?
vg_check batch "$status" 1
python3 - "$TMP/batch.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
bad = [l for l in lines if l["status"] != "ok"]
assert len(bad) == 3 and len(lines) > 50, (len(bad), len(lines))   # empty, page, truncated
PY
status=0
vg batch_status "$BIN" status "$TMP/batch.journal" >/dev/null || status=$?
vg_check batch_status "$status" 0

# the simulator's own report, after a clean stop
kill -TERM "$SIM_PID"
status=0
wait "$SIM_PID" || status=$?
VB_PIDS=()
vg_check sim "$status" 0
echo "valgrind.sh: batch of $total items ($interrupted written before SIGINT), $checked runs of visionbatch and the simulator: clean" >&2

# ---- unit tests, and the fuzz targets over their seed corpora -----------------------
for t in "$BUILD"/tests/test_* "$BUILD"/fuzz/replay_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  [[ " $SKIP_UNIT " == *" $name "* ]] && continue
  args=()
  [[ "$name" == replay_* ]] && args=("fuzz/corpus/${name#replay_}")
  status=0
  VB_TEST_DATA=tests/data vg "$name" "$t" "${args[@]}" >"$TMP/$name.out" 2>&1 || status=$?
  [ "$status" -eq 0 ] || cat "$TMP/$name.out" >&2
  vg_check "$name" "$status" 0
done
echo "valgrind.sh: ok: $((checked + 1)) programs under valgrind, no errors, no definite/indirect leaks" >&2
