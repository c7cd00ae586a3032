#!/usr/bin/env bash
# run_fuzz.sh — fuzzes the sweep-file parser with libFuzzer (what `make fuzz` runs).
#
#   FUZZ_SECONDS=600 tests/fuzz/run_fuzz.sh      (default 600 s; FUZZ_BUILD=build-fuzz)
#   FUZZ_SECONDS=0 tests/fuzz/run_fuzz.sh        build, then replay the seeds once (a quick check)
#
# Builds tests/fuzz/fuzz_spec.c against src/spec/*.c and src/common/common.c with clang
# -fsanitize=fuzzer,address,undefined, seeds it with tests/fuzz/corpus and tests/bad_sweeps (new
# inputs go to $FUZZ_BUILD/corpus, the repository's seeds stay as they are), runs one process for
# FUZZ_SECONDS and ends with one line: executions, time, crashes. Exit status non-zero on a crash,
# leak, timeout or out-of-memory; the input that caused it is in $FUZZ_BUILD/artifacts-<time>/.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SECONDS_TO_RUN=${FUZZ_SECONDS:-600}
OUT=${FUZZ_BUILD:-build-fuzz}
CC_FUZZ=${FUZZ_CC:-clang}
command -v "$CC_FUZZ" >/dev/null || { echo "run_fuzz.sh: $CC_FUZZ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
mkdir -p "$OUT/corpus"
artifacts="$OUT/artifacts-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$artifacts"

# shellcheck disable=SC2046
"$CC_FUZZ" -std=c11 -g -O1 -Wall -Wextra -Wno-unused-parameter \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
  -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude -Isrc \
  tests/fuzz/fuzz_spec.c src/spec/*.c src/common/common.c \
  $(pkg-config --cflags --libs yaml-0.1) -lm -o "$OUT/fuzz_spec" || { echo "run_fuzz.sh: build failed" >&2; exit 1; }

log="$artifacts/fuzz.log"
echo "fuzz: $OUT/fuzz_spec for ${SECONDS_TO_RUN}s, log $log" >&2
# libFuzzer reads -max_total_time=0 as "no limit": 0 here means one pass over the seeds instead.
if [ "$SECONDS_TO_RUN" = 0 ]; then limit="-runs=0"; else limit="-max_total_time=$SECONDS_TO_RUN"; fi
t0=$(date +%s)
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
"$OUT/fuzz_spec" "$limit" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
  -dict=tests/fuzz/spec.dict -print_final_stats=1 -artifact_prefix="$artifacts/" \
  "$OUT/corpus" tests/fuzz/corpus tests/bad_sweeps >"$log" 2>&1
rc=$?
t1=$(date +%s)
execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
[ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
crashes=$(find "$artifacts" -type f ! -name fuzz.log | wc -l)
corpus=$(find "$OUT/corpus" -type f | wc -l)
echo "fuzz: ${execs:-0} executions in $((t1 - t0)) s, crashes: $crashes, corpus: $corpus inputs (libFuzzer exit $rc)"
if [ "$rc" != 0 ] || [ "$crashes" != 0 ]; then
  grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -10 >&2
  exit 1
fi
