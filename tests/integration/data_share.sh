#!/usr/bin/env bash
# data_share.sh — one copy of the data per node with 4 MPI ranks: test_data_mpi under mpirun (each
# rank's view equals a private load, also with a subset of the out-of-class probe, a loader error
# reaches every rank, Pss of a large data set is at most 1.5 copies more than a tiny one, summed
# over the ranks).
source "$(dirname "$0")/lib.sh"
iw_tmpdir
bin=$BUILD/tests/test_data_mpi
if [ ! -x "$bin" ]; then
  not_ok "data_share_4_ranks" "$bin not built (make build-tests)"
  finish
fi
out=$IW_TMP/out.txt
if timeout 300 bash -c 'source "$1"; iw_mpirun 4 "$2"' _ "$(dirname "$0")/lib.sh" "$bin" >"$out" 2>&1; then rc=0; else rc=$?; fi
grep '^# ' "$out" | head -5
cases=$(grep -c '^ok - ' "$out"); failures=$(grep -c '^not ok - ' "$out")
if [ "$rc" = 0 ] && [ "$failures" = 0 ] && [ "$cases" = 20 ]; then
  ok "data_share_4_ranks"
else
  not_ok "data_share_4_ranks" "exit $rc, $cases ok lines (20 expected: 5 cases x 4 ranks), $failures not ok: $(grep -E '^(not ok|# )' "$out" | head -5 | tr '\n' ' ') $(tail -3 "$out" | tr '\n' ' ')"
fi
finish
