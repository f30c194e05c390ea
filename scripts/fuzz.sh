#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/fuzz_*.c, clang, ASan + UBSan) in build-fuzz/ and
# runs each one, bounded, starting from its seed corpus in fuzz/corpus/<target>/.
#
#   scripts/fuzz.sh                 30 seconds per target
#   scripts/fuzz.sh 300             300 seconds per target
#   scripts/fuzz.sh -runs=1000000   a million executions per target
#   scripts/fuzz.sh 60 response     only fuzz_response (targets: manifest response
#                                   ratelimit_headers config jpeg_check anthropic_answer gemini_answer
#                                   batch_openai batch_anthropic batch_gemini)
#
# New inputs go to build-fuzz/corpus/<target>/ (the repo's seeds stay as committed; copy
# a finding there by hand to keep it). A crash, leak, UB or failed check stops that target
# and is saved under build-fuzz/artifacts/<target>/; the script then exits 1.
# Environment: BUILD (default build-fuzz), JOBS, FUZZ_FLAGS (extra libFuzzer flags, e.g.
# -fork=2 to fuzz one target on two cores).
set -euo pipefail
cd "$(dirname "$0")/.."

limit="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(manifest response ratelimit_headers config jpeg_check anthropic_answer gemini_answer
  batch_openai batch_anthropic batch_gemini)
case "$limit" in
  -runs=*) bound=("$limit") ;;
  *[!0-9]* | '') echo "fuzz.sh: limit is SECONDS or -runs=N, not '$limit'" >&2; exit 2 ;;
  *) bound=("-max_total_time=$limit") ;;
esac

build="${BUILD:-build-fuzz}"
jobs="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
scripts/install-deps.sh
CC=clang cmake -S . -B "$build" -DVB_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
names=()
for t in "${targets[@]}"; do names+=("fuzz_$t"); done
env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS cmake --build "$build" -j "$jobs" --target "${names[@]}"

dict_of() {
  case "$1" in
    manifest | response | anthropic_answer) echo fuzz/dict/json.dict ;;
    *) echo "fuzz/dict/$1.dict" ;;
  esac
}

failed=0
for t in "${targets[@]}"; do
  work="$build/corpus/$t"
  art="$build/artifacts/$t"
  mkdir -p "$work" "$art"
  log="$build/fuzz_$t.log"
  echo "== fuzz_$t (${bound[*]}), seeds fuzz/corpus/$t" >&2
  start=$(date +%s)
  # ASan's leak check runs after every input; UBSan aborts on the first finding.
  if ! UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      "$build/fuzz/fuzz_$t" "${bound[@]}" -dict="$(dict_of "$t")" -timeout=10 \
      -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 -artifact_prefix="$art/" \
      ${FUZZ_FLAGS:-} "$work" "fuzz/corpus/$t" >"$log" 2>&1; then
    echo "fuzz_$t: FAILED, see $log and $art/" >&2
    grep -E 'ERROR|SUMMARY|fuzz check failed|runtime error' "$log" | head -5 >&2 || true
    failed=1
    continue
  fi
  secs=$(($(date +%s) - start))
  # the final stats line; with FUZZ_FLAGS=-fork=N the parent's last "#N" line counts
  # every worker's executions
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  [ -n "$execs" ] || execs=$(grep -aoE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
  corpus=$(find "$work" -type f | wc -l)
  echo "fuzz_$t: ok, $execs executions in ${secs}s, corpus $corpus inputs" >&2
  grep -aE '^#[0-9]+' "$log" | tail -n 1 >&2 || true
done
exit $failed
