#!/usr/bin/env bash
# sweep_ranks.sh — determinism across rank counts: the same 32-run sweep (every axis with two
# values: weight, L2, dropout, batch norm, seed) run with 1 rank and with 4 ranks gives identical
# stores (h5diff of /metrics, /boundary, /runs/status and every /runs/<axis>), although the runs
# land on different ranks in a different order.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
SW=$ROOT/tests/sweeps

iw_mpirun 1 "$IWS" -o one.h5 "$SW/ranks2d.yaml" >one.out 2>one.err; rc1=$?
iw_mpirun 4 "$IWS" -o four.h5 "$SW/ranks2d.yaml" >four.out 2>four.err; rc4=$?
if [ $rc1 = 0 ] && [ $rc4 = 0 ]; then ok "np=1 and np=4 sweeps complete"
else not_ok "np=1 and np=4 sweeps complete" "rc $rc1 / $rc4: $(tail -3 one.err four.err)"; fi
grep 'rank 0 CPU' four.out | sed 's/^/# np=4: /'

same=1
for obj in /metrics /boundary /runs/status /runs/importance_weight /runs/l2 /runs/dropout /runs/batchnorm /runs/seed /epoch; do
  if ! h5diff -q one.h5 four.h5 "$obj" "$obj" >/dev/null 2>&1; then same=0; echo "# differs: $obj"; fi
done
if [ $same = 1 ]; then ok "identical metrics, boundary, status and axes"; else not_ok "identical metrics, boundary, status and axes" "h5diff found differences"; fi

# the test is meaningful only if the work really was spread, and the runs differ from each other
$PY - one.h5 four.h5 <<'PYEOF' >check.txt 2>&1
import sys, h5py, numpy as np
one, four = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
bad = []
r1, r4 = one["runs/worker_rank"][:], four["runs/worker_rank"][:]
if set(r1) != {0}: bad.append("np=1 ranks %s" % set(r1))
if len(set(r4)) < 2 or 0 in set(r4): bad.append("np=4 used workers %s" % set(r4))
m = one["metrics/train_loss"][:]
if len({tuple(row) for row in m[:, 1:]}) != 32: bad.append("runs too alike: %d distinct loss curves" % len({tuple(row) for row in m[:, 1:]}))
if not np.isfinite(one["metrics/train_loss"][:]).all(): bad.append("non-finite loss")
print("BAD " + "; ".join(bad) if bad else "GOOD")
PYEOF
if grep -q '^GOOD' check.txt; then ok "work spread over 3 workers, runs distinct"; else not_ok "work spread over 3 workers, runs distinct" "$(cat check.txt)"; fi
finish
