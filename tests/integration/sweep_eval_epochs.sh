#!/usr/bin/env bash
# sweep_eval_epochs.sh — record.eval_epochs and data.other_count in whole sweeps
# (tests/sweeps/eval_sparse.yaml, Fashion-MNIST): the sparse sweep under 3 ranks, its dense twin
# (the same file without the record section) on one rank; check_eval_epochs.py compares the two
# stores with h5py (NaN exactly at the unevaluated epochs, the dense values bit for bit at the
# evaluated ones, /evaluated as the rule says, the probe's subset size) and runs iwreport's
# summary, table, csv and plot on the sparse store; check_report.py's generic checks run on it
# too. Then data.other_count larger than the probe: a clear message naming file, line and key,
# and a non-zero exit.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
SPARSE=$ROOT/tests/sweeps/eval_sparse.yaml
if [ ! -d /usr/share/datasets/fashion-mnist ]; then
  skip "sweep with a sparse evaluation schedule" "Fashion-MNIST is not installed (dataset-fashion-mnist)"
  finish
fi
sed '/^record:/,$d' "$SPARSE" >dense.yaml
if ! grep -q '^ *eval_epochs:' dense.yaml && grep -q '^ *eval_epochs:' "$SPARSE"; then ok "dense twin made without the record section"
else not_ok "dense twin made without the record section" "$(tail -3 dense.yaml)"; fi
"$IWS" -o dense.h5 dense.yaml >dense.out 2>dense.err; rc1=$?
iw_mpirun 3 "$IWS" -o sparse.h5 "$SPARSE" >sparse.out 2>sparse.err; rc2=$?
if [ $rc1 = 0 ] && [ $rc2 = 0 ]; then ok "dense (1 rank) and sparse (3 ranks) sweeps exit 0"
else not_ok "dense (1 rank) and sparse (3 ranks) sweeps exit 0" "rc $rc1 $rc2: $(tail -2 dense.err) $(tail -2 sparse.err)"; fi
$PY "$ROOT/tests/integration/check_eval_epochs.py" "$BUILD/iwreport" dense.h5 sparse.h5 300 || IW_FAILED=1
out=$($PY "$ROOT/tests/integration/check_report.py" "$BUILD/iwreport" sparse.h5 sparse --no-plot); echo "$out"
echo "$out" | grep -q '^not ok' && IW_FAILED=1

# data.other_count above the probe's 8000 images: refused by the loader with file:line: key
sed 's/other_count: 300/other_count: 8001/' "$SPARSE" >toomany.yaml
line=$(grep -n 'other_count:' toomany.yaml | cut -d: -f1)
"$IWS" -o toomany.h5 toomany.yaml >toomany.out 2>&1; rc=$?
if [ $rc != 0 ] && grep -q "toomany.yaml:$line: key 'data.other_count': asked for 8001 images of the out-of-class probe, but .* has only 8000" toomany.out
then ok "other_count 8001 of 8000: exit $rc, $(grep -o "toomany.yaml:$line: key 'data.other_count'.*" toomany.out | cut -c1-110)"
else not_ok "other_count above the probe is refused with file:line: key" "rc=$rc: $(cat toomany.out)"; fi
finish
