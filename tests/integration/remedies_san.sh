#!/usr/bin/env bash
# sanitizer: yes — issue 11's code under ASan+UBSan: a one-rank sweep of
# tests/sweeps/remedies_small.yaml (loss axis, validation split, stored logits), then iwreport stop,
# effect and adjust on it and effect on the f307094 store, checked against numpy
# (check_remedies.py). The MPI sweep and the other cases are in remedies.sh and old_store.sh.
. "$(dirname "$0")/lib.sh"
iw_tmpdir
HERE=$ROOT/tests/integration
T=$IW_TMP
run_checks() { local out; out=$($PY "$HERE/check_remedies.py" "$@" 2>&1); echo "$out"; echo "$out" | grep -q '^not ok' && IW_FAILED=1; true; }

if "$BUILD/iwsweep" -o "$T/rem.h5" "$ROOT/tests/sweeps/remedies_small.yaml" >"$T/sweep.log" 2>&1; then
  ok "one-rank sweep tests/sweeps/remedies_small.yaml finished"
else
  not_ok "one-rank sweep tests/sweeps/remedies_small.yaml finished" "$(tail -5 "$T/sweep.log")"; finish
fi
run_checks new "$BUILD/iwreport" "$T/rem.h5"
cp "$ROOT/tests/fixtures/old_store_f307094.h5" "$T/old.h5"
run_checks effect "$BUILD/iwreport" "$T/old.h5" 100 san-old-store
finish
