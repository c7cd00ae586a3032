#!/usr/bin/env bash
# run_tests.sh — runs the whole suite and ends with the line CI reads: "N passed, M failed, K skipped".
#
#   tests/run_tests.sh BUILD [SAN_BUILD]
# BUILD holds the normal binaries: every build/tests/test_* and every tests/integration/*.sh runs
# against it. SAN_BUILD (ASan+UBSan) runs the unit tests again plus the integration scripts whose
# name ends in _san.sh... (those marked "# sanitizer: yes" on their second line). Exit status is
# non-zero when any case failed or any test program crashed without reporting.
# IW_TEST_FILTER=TEXT runs only the integration scripts whose path contains TEXT (in both passes);
# logs go to a folder under $TMPDIR (default /tmp), kept so that failures can be read.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${1:-build}
SAN=${2:-}
passed=0; failed=0; skipped=0; failures=""
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/iwtests.XXXXXX")   # kept: the failure lines name the logs
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:fast_unwind_on_malloc=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan.supp:print_suppressions=0}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

run_one() { # label build command...
  local label=$1 build=$2; shift 2
  local log="$LOGDIR/$(echo "$label" | tr '/ ' '__').log"
  local t0=$(date +%s)
  ROOT=$ROOT BUILD=$build "$@" >"$log" 2>&1 </dev/null
  local rc=$? t1=$(date +%s)
  local p f k
  k=$(grep -c -E '^ok - .*# *SKIP' "$log")
  p=$(( $(grep -c '^ok - ' "$log") - k )); f=$(grep -c '^not ok - ' "$log")
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    f=1; echo "not ok - $label exited with status $rc without reporting a failed case" >>"$log"
  fi
  if [ $((p + f + k)) = 0 ]; then
    f=1; echo "not ok - $label reported no test case" >>"$log"
  fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + k))
  printf '%-48s %3d passed, %d failed, %d skipped  (%ds)\n' "$label" "$p" "$f" "$k" $((t1 - t0)) |
    sed 's/ passed/ ok/; s/ failed/ not ok/'
  [ "$k" != 0 ] && grep -E '^ok - .*# *SKIP' "$log" | sed 's/^/    /'
  if [ "$f" != 0 ]; then
    failures="$failures $label"
    echo "---- $label (log $log):"; grep -E '^(not ok|#)' "$log" | head -40; tail -15 "$log" | grep -v -E '^(ok|not ok|#)' ; echo "----"
  fi
}

if [ -z "${IW_ONLY_SANITIZER:-}" ]; then
  programs=0
  for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    programs=$((programs + 1))
    run_one "unit/$(basename "$t")" "$BUILD" "$t"
  done
  if [ "$programs" = 0 ]; then
    failed=$((failed + 1)); failures="$failures unit"
    echo "not ok - found no unit test program under $BUILD/tests"
  fi
  for s in tests/integration/*.sh; do
    case "$s" in */lib.sh|*/lib_*.sh) continue ;; esac
    if [ -n "${IW_TEST_FILTER:-}" ] && ! echo "$s" | grep -q -- "$IW_TEST_FILTER"; then continue; fi
    run_one "integration/$(basename "$s" .sh)" "$BUILD" bash "$s"
  done
fi
if [ -n "$SAN" ]; then
  san_programs=0
  for t in "$SAN"/tests/test_*; do
    [ -x "$t" ] || continue
    san_programs=$((san_programs + 1))
    run_one "asan/unit/$(basename "$t")" "$SAN" "$t"
  done
  if [ "$san_programs" = 0 ]; then
    failed=$((failed + 1)); failures="$failures asan/unit"
    echo "not ok - the sanitizer pass found no test program under $SAN/tests"
  fi
  for s in tests/integration/*.sh; do
    sed -n 2p "$s" | grep -q 'sanitizer: yes' || continue
    if [ -n "${IW_TEST_FILTER:-}" ] && ! echo "$s" | grep -q -- "$IW_TEST_FILTER"; then continue; fi
    run_one "asan/integration/$(basename "$s" .sh)" "$SAN" bash "$s"
  done
fi
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
