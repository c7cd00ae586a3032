#!/usr/bin/env bash
# old_store.sh — stores made by older iwsweeps (tests/fixtures/old_store_COMMIT.h5, remade by
# tests/fixtures/make_old_store.sh COMMIT):
#   f307094  before issue 11's axes, metrics, /runs/train_class_count and /logits, and before
#            record.eval_epochs (no /evaluated);
#   49bcb1a  today's main before issue 11: a sparse record.eval_epochs, /evaluated.
# Each still opens: iwreport summary, table, csv and effect work on it (effect against numpy, N from
# the sweep file in /spec), stop and adjust say what the store lacks, h5py and both xarray engines
# (h5netcdf, netcdf4) read it with named dimensions. iwsweep refuses to resume it, naming the
# datasets it lacks, with the same message and exit status under --dry-run, and leaves it unchanged.
. "$(dirname "$0")/lib.sh"
iw_tmpdir
IWREPORT=$BUILD/iwreport
IWS=$BUILD/iwsweep
OLD_METRICS="train_loss,train_acc,train_frac_positive,test_acc,test_frac_positive,other_frac_positive,noise_frac_positive,weight_norm"
NEW_DATASETS="/metrics/test_acc_negative /metrics/test_acc_positive /metrics/test_balanced_acc /metrics/val_loss
/metrics/val_loss_unweighted /metrics/val_acc /metrics/val_acc_negative /metrics/val_acc_positive /metrics/val_balanced_acc
/runs/train_class_count"

for COMMIT in f307094 49bcb1a; do
  FIXTURE=$ROOT/tests/fixtures/old_store_$COMMIT.h5
  SWEEP=$ROOT/tests/fixtures/old_store_$COMMIT.yaml
  OLD=$IW_TMP/old_$COMMIT.h5
  cp "$FIXTURE" "$OLD"   # a copy: nothing may write the fixture
  E=$(sed -n 's/^  epochs: *//p' "$SWEEP")
  if [ "$COMMIT" = 49bcb1a ]; then EVALUATED="0 1 2 4 6"; else EVALUATED=$(seq 0 "$E" | tr '\n' ' '); fi

  out=$("$IWREPORT" summary "$OLD" 2>&1); rc=$?
  if [ $rc = 0 ] && echo "$out" | grep -q '^runs: *9 done' && echo "$out" | grep -q 'metrics:  train_loss' && ! echo "$out" | grep -q '^logits'; then
    ok "$COMMIT: summary"
  else not_ok "$COMMIT: summary" "rc=$rc: $out"; fi
  out=$("$IWREPORT" table "$OLD" 2>&1); rc=$?
  if [ $rc = 0 ] && [ "$(echo "$out" | grep -c '^weight ')" = 3 ]; then ok "$COMMIT: table"; else not_ok "$COMMIT: table" "rc=$rc: $out"; fi
  out=$("$IWREPORT" csv "$OLD" 2>&1); rc=$?
  header=$(echo "$out" | head -1)
  if [ $rc = 0 ] && [ "$header" = "run,importance_weight,l2,dropout,batchnorm,seed,status,epoch,$OLD_METRICS" ] &&
     [ "$(echo "$out" | wc -l)" = $((1 + 9 * (E + 1))) ]; then ok "$COMMIT: csv has its axes and metrics, $((9 * (E + 1))) rows"
  else not_ok "$COMMIT: csv has its axes and metrics" "rc=$rc: $header"; fi

  out=$($PY "$ROOT/tests/integration/check_remedies.py" effect "$IWREPORT" "$OLD" 100 "$COMMIT" 2>&1); echo "$out"
  echo "$out" | grep -q '^not ok' && IW_FAILED=1

  out=$("$IWREPORT" stop "$OLD" 2>&1 >/dev/null); rc=$?
  if [ $rc = 1 ] && echo "$out" | grep -q "no validation metrics (val_loss): the store was made without data.val_per_class"; then
    ok "$COMMIT: stop says the store has no validation split"; else not_ok "$COMMIT: stop says the store has no validation split" "rc=$rc: $out"; fi
  out=$("$IWREPORT" adjust "$OLD" 2>&1 >/dev/null); rc=$?
  if [ $rc = 1 ] && echo "$out" | grep -q "the store has no test logits"; then
    ok "$COMMIT: adjust says the store has no logits"; else not_ok "$COMMIT: adjust says the store has no logits" "rc=$rc: $out"; fi

  if $PY - "$OLD" "$E" "$EVALUATED" >"$IW_TMP/py.out" 2>&1 <<'PY'
import sys
import h5py, numpy as np, xarray as xr
from xarray.backends import list_engines
path, E, evaluated = sys.argv[1], int(sys.argv[2]), [int(e) for e in sys.argv[3].split()]
with h5py.File(path, "r") as f:
    assert f.attrs["schema"] == "iwsweep/1"
    assert "logits" not in f and "train_class_count" not in f["runs"]
    status = f["runs/status"][:]
    frac = f["metrics/test_frac_positive"][:]
    assert status.shape == (9,) and frac.shape == (9, E + 1)
    assert np.all(np.isfinite(frac[status == 1][:, evaluated])), frac
    others = [e for e in range(E + 1) if e not in evaluated]
    assert np.all(np.isnan(frac[:, others])), frac
    if "evaluated" in f:
        assert list(np.flatnonzero(f["evaluated"][:])) == evaluated, f["evaluated"][:]
engines = [e for e in ("h5netcdf", "netcdf4") if e in list_engines()]
assert engines == ["h5netcdf", "netcdf4"], f"xarray engines here: {list(list_engines())}"
for engine in engines:
    root = xr.open_dataset(path, engine=engine)
    metrics = xr.open_dataset(path, engine=engine, group="metrics")
    runs = xr.open_dataset(path, engine=engine, group="runs")
    assert metrics["test_frac_positive"].dims == ("run", "epoch"), (engine, metrics["test_frac_positive"].dims)
    assert root["boundary"].dims == ("run", "boundary_epoch", "y", "x"), (engine, root["boundary"].dims)
    ds = xr.merge([root[["run", "epoch"]], metrics, runs])
    grid = ds.set_coords(["importance_weight", "seed"]).set_index(run=["importance_weight", "seed"]).unstack("run")
    assert grid.test_frac_positive.dims == ("epoch", "importance_weight", "seed"), (engine, grid.test_frac_positive.dims)
    for d in (root, metrics, runs):
        d.close()
print("h5py and xarray", engines, "read", len(status), "runs")
PY
  then ok "$COMMIT: h5py and xarray (h5netcdf, netcdf4) read it with named dimensions"
  else not_ok "$COMMIT: h5py and xarray (h5netcdf, netcdf4) read it with named dimensions" "$(tail -3 "$IW_TMP/py.out")"; fi

  # resuming is refused: the datasets a run writes are made with the store, never later
  (cd "$IW_TMP" && "$IWS" -o "$OLD" "$SWEEP" >resume.out 2>&1); rc=$?
  (cd "$IW_TMP" && "$IWS" --dry-run -o "$OLD" "$SWEEP" >dry.out 2>&1); rc_dry=$?
  msg=$(grep "made by an older iwsweep" "$IW_TMP/resume.out")
  missing=""
  for d in $NEW_DATASETS; do echo "$msg" | grep -q -- "$d" || missing="$missing $d"; done
  if [ $rc = 2 ] && echo "$msg" | grep -q "without 10 datasets that this version writes for every run" && [ -z "$missing" ] &&
     echo "$msg" | grep -q "cannot be resumed" && echo "$msg" | grep -q "holds 9 finished runs: keep it"; then
    ok "$COMMIT: resuming is refused (exit 2), naming the 10 datasets the store lacks"
  else not_ok "$COMMIT: resuming is refused (exit 2), naming the 10 datasets the store lacks" "rc=$rc, not named:$missing: $(tail -2 "$IW_TMP/resume.out")"; fi
  if [ $rc_dry = $rc ] && grep -q -F -- "$msg" "$IW_TMP/dry.out"; then ok "$COMMIT: --dry-run gives the same refusal and exit status"
  else not_ok "$COMMIT: --dry-run gives the same refusal and exit status" "rc=$rc_dry: $(tail -2 "$IW_TMP/dry.out")"; fi
  if cmp -s "$OLD" "$FIXTURE" && [ ! -e "$OLD.ckpt" ] && [ ! -e "$OLD.lock" ]; then ok "$COMMIT: reading and the refusals left the store unchanged"
  else not_ok "$COMMIT: reading and the refusals left the store unchanged" "the copy differs from the fixture, or a .ckpt/.lock was left"; fi
done
finish
