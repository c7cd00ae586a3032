#!/usr/bin/env bash
# old_store.sh — a store made by iwsweep at commit f307094, before issue 11 added axes, metrics,
# /runs/train_class_count and /logits (tests/fixtures/old_store_f307094.h5, remade by
# tests/fixtures/make_old_store.sh), still opens: iwreport summary, table, csv and effect work on it
# (effect against numpy, N from the sweep file in /spec), stop and adjust say what the store lacks,
# h5py and xarray read it with named dimensions.
. "$(dirname "$0")/lib.sh"
iw_tmpdir
IWREPORT=$BUILD/iwreport
OLD=$IW_TMP/old.h5
cp "$ROOT/tests/fixtures/old_store_f307094.h5" "$OLD"   # a copy: nothing may write the fixture

out=$("$IWREPORT" summary "$OLD" 2>&1); rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q '^runs: *9 done' && echo "$out" | grep -q 'metrics:  train_loss' && ! echo "$out" | grep -q '^logits'; then
  ok "summary of the old store"
else not_ok "summary of the old store" "rc=$rc: $out"; fi
out=$("$IWREPORT" table "$OLD" --epochs 0,5 2>&1); rc=$?
if [ $rc = 0 ] && [ "$(echo "$out" | grep -c '^weight ')" = 3 ]; then ok "table of the old store"; else not_ok "table of the old store" "rc=$rc: $out"; fi
out=$("$IWREPORT" csv "$OLD" 2>&1); rc=$?
header=$(echo "$out" | head -1)
if [ $rc = 0 ] && [ "$header" = "run,importance_weight,l2,dropout,batchnorm,seed,status,epoch,train_loss,train_acc,train_frac_positive,test_acc,test_frac_positive,other_frac_positive,noise_frac_positive,weight_norm" ] &&
   [ "$(echo "$out" | wc -l)" = $((1 + 9 * 6)) ]; then ok "csv of the old store: its axes and metrics, 54 rows"
else not_ok "csv of the old store" "rc=$rc: $header"; fi

out=$($PY "$ROOT/tests/integration/check_remedies.py" effect "$IWREPORT" "$OLD" 100 old-store 2>&1); echo "$out"
echo "$out" | grep -q '^not ok' && IW_FAILED=1

out=$("$IWREPORT" stop "$OLD" 2>&1 >/dev/null); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "no validation metrics (val_loss): the store was made without data.val_per_class"; then
  ok "stop on the old store says it has no validation split"; else not_ok "stop on the old store says it has no validation split" "rc=$rc: $out"; fi
out=$("$IWREPORT" adjust "$OLD" 2>&1 >/dev/null); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "the store has no test logits"; then
  ok "adjust on the old store says it has no logits"; else not_ok "adjust on the old store says it has no logits" "rc=$rc: $out"; fi

if $PY - "$OLD" >"$IW_TMP/py.out" 2>&1 <<'PY'
import sys
import h5py, numpy as np, xarray as xr
path = sys.argv[1]
with h5py.File(path, "r") as f:
    assert f.attrs["schema"] == "iwsweep/1"
    assert "logits" not in f and "train_class_count" not in f["runs"]
    status = f["runs/status"][:]
    frac = f["metrics/test_frac_positive"][:]
    assert status.shape == (9,) and frac.shape == (9, 6) and np.all(np.isfinite(frac[status == 1]))
root = xr.open_dataset(path, engine="h5netcdf")
metrics = xr.open_dataset(path, engine="h5netcdf", group="metrics")
runs = xr.open_dataset(path, engine="h5netcdf", group="runs")
assert metrics["test_frac_positive"].dims == ("run", "epoch"), metrics["test_frac_positive"].dims
assert root["boundary"].dims == ("run", "boundary_epoch", "y", "x")
ds = xr.merge([root[["run", "epoch"]], metrics, runs])
grid = ds.set_coords(["importance_weight", "seed"]).set_index(run=["importance_weight", "seed"]).unstack("run")
assert grid.test_frac_positive.dims == ("epoch", "importance_weight", "seed"), grid.test_frac_positive.dims
print("h5py and xarray read", len(status), "runs")
PY
then ok "h5py and xarray read the old store with named dimensions"
else not_ok "h5py and xarray read the old store with named dimensions" "$(tail -3 "$IW_TMP/py.out")"; fi
if cmp -s "$OLD" "$ROOT/tests/fixtures/old_store_f307094.h5"; then ok "reading left the store unchanged"
else not_ok "reading left the store unchanged" "the copy differs from the fixture"; fi
finish
