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
# The engine's kernel tests (KERNEL_TESTS) run once more, in both passes, on every other kernel path
# the CPU has (IW_ENGINE_ISA=avx2 and portable on an AVX-512 CPU): a program run once covers only
# the CPU's best path, so a fault in another path (numbers off against the PyTorch fixtures, or
# memory errors under the sanitizers) would otherwise surface only on the nodes that take it.
# test_engine_isa forces each path as well, on its own odd shapes (it found a misaligned load of
# the AVX2 path that these shapes do not reach).
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

KERNEL_TESTS="test_conv_gradcheck test_conv_torch test_engine_grad test_engine_net test_engine_torch"
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
has_flag() { case " $flags " in *" $1 "*) return 0 ;; esac; return 1; }
other_paths="portable"   # the paths below the CPU's best, which the first run of a program takes
if has_flag avx512f && has_flag avx2 && has_flag fma; then other_paths="avx2 portable"
elif ! { has_flag avx2 && has_flag fma; }; then other_paths=""; fi

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
    case " $KERNEL_TESTS " in *" $(basename "$t") "*)
      for p in $other_paths; do run_one "unit/$(basename "$t") [$p]" "$BUILD" env IW_ENGINE_ISA="$p" "$t"; done ;;
    esac
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
    case " $KERNEL_TESTS " in *" $(basename "$t") "*)
      for p in $other_paths; do run_one "asan/unit/$(basename "$t") [$p]" "$SAN" env IW_ENGINE_ISA="$p" "$t"; done ;;
    esac
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
