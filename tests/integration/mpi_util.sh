#!/usr/bin/env bash
# mpi_util.sh — the MPI helper (test_mpi_util) under mpirun with 3 ranks: every rank agrees on the
# lowest failing rank's message, broadcasts and reductions reach every rank, and a rank waiting in a
# barrier for a sleeping rank does not spin.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
bin=$BUILD/tests/test_mpi_util
if [ ! -x "$bin" ]; then
  not_ok "mpi_util_3_ranks" "$bin not built (make build-tests)"
  finish
fi
out=$IW_TMP/out.txt
if timeout 120 bash -c 'source "$1"; iw_mpirun 3 "$2"' _ "$(dirname "$0")/lib.sh" "$bin" >"$out" 2>&1; then rc=0; else rc=$?; fi
grep '^# ' "$out" | head -3
cases=$(grep -c '^ok - ' "$out"); failures=$(grep -c '^not ok - ' "$out"); skips=$(grep -c '# SKIP' "$out")
if [ "$rc" = 0 ] && [ "$failures" = 0 ] && [ "$cases" = 15 ] && [ "$skips" = 0 ]; then
  ok "mpi_util_3_ranks"
else
  not_ok "mpi_util_3_ranks" "exit $rc, $cases ok lines (15 expected: 5 cases x 3 ranks, none skipped), $failures not ok: $(grep -E '^(not ok|# )' "$out" | head -5 | tr '\n' ' ') $(tail -3 "$out" | tr '\n' ' ')"
fi
finish
