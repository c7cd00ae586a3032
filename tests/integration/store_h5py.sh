#!/usr/bin/env bash
# store_h5py.sh — a store written by the C writer (test_store, 1 rank) read with h5py, numpy and
# xarray: every dataset, attribute, dimension scale and description of schema iwsweep/1, values,
# NaN for pending runs (tests/integration/check_store.py); and an HDF5 file that is not an iwsweep
# store is refused and left untouched.
. "$(dirname "$0")/lib.sh"
iw_tmpdir

if IW_STORE_OUT=$IW_TMP/out.h5 "$BUILD/tests/test_store" >"$IW_TMP/unit.log" 2>&1; then
  ok "test_store leaves a store for the checker"
else
  not_ok "test_store leaves a store for the checker" "$(grep -v '^ok' "$IW_TMP/unit.log" | tail -3 | tr '\n' ' ')"
fi
$PY "$ROOT/tests/integration/check_store.py" pattern "$IW_TMP/out.h5" 1 || IW_FAILED=1

# An HDF5 file made by someone else at the store's path: refused, not overwritten.
$PY -c 'import h5py, sys; f = h5py.File(sys.argv[1], "w"); f["thesis"] = [1, 2, 3]' "$IW_TMP/foreign.h5"
sum_before=$(md5sum <"$IW_TMP/foreign.h5")
if IW_STORE_MODE=loop IW_STORE_PATH=$IW_TMP/foreign.h5 "$BUILD/tests/test_store_mpi" >"$IW_TMP/foreign.log" 2>&1; then
  not_ok "an HDF5 file that is not a store is refused" "the writer accepted it"
elif ! grep -q "is an HDF5 file but not an iwsweep/1 store" "$IW_TMP/foreign.log"; then
  not_ok "an HDF5 file that is not a store is refused" "message: $(tr '\n' ' ' <"$IW_TMP/foreign.log")"
elif [ "$(md5sum <"$IW_TMP/foreign.h5")" != "$sum_before" ]; then
  not_ok "an HDF5 file that is not a store is refused" "the file was modified"
else
  ok "an HDF5 file that is not a store is refused and left untouched"
fi
finish
