#!/usr/bin/python3
"""read_store.py — load a sweep's metrics into numpy with h5py, with the grid columns beside them.

    /usr/bin/python3 docs/examples/read_store.py results/NAME.h5 [METRIC]

Prints, for the first setting of the regularisers, the mean over seeds of METRIC (default
test_frac_positive) per importance weight before training and at the last epoch. Works on a store
that a sweep is still writing: runs not done yet are pending (status 0) and their rows are NaN.
"""
import sys

import h5py
import numpy as np

path = sys.argv[1]
metric = sys.argv[2] if len(sys.argv) > 2 else "test_frac_positive"

with h5py.File(path, "r") as f:
    assert f.attrs["schema"] == "iwsweep/1"
    axes = [a for a in ("importance_weight", "l2", "dropout", "batchnorm", "seed", "sampling") if a in f["runs"]]
    grid = {a: f["runs"][a][:] for a in axes}             # one value per run (R,)
    labels = {a: f["runs"][a].attrs["flag_meanings"].split() # int8 axes: 0 -> "false", 1 -> "true" ...
              for a in axes if "flag_meanings" in f["runs"][a].attrs}
    status = f["runs/status"][:]                           # 0 pending, 1 done, 2 diverged, 3 failed
    epoch = f["epoch"][:]                                  # 0..E (0 = before training)
    values = f["metrics"][metric][:].astype(np.float64)   # (R, E+1), stored float32, NaN where not written

finished = (status == 1) | (status == 2)                   # diverged runs have values up to divergence
print(f"{path}: {len(status)} runs, {finished.sum()} finished, epochs 0..{epoch[-1]}")

# One setting of every axis except weight and seed: the first value of each.
keep = finished.copy()
for a in axes:
    if a not in ("importance_weight", "seed"):
        keep &= grid[a] == grid[a][0]
def show(a, v):
    return labels[a][int(v)] if a in labels else f"{v:g}"


setting = ", ".join(f"{a}={show(a, grid[a][0])}" for a in axes if a not in ("importance_weight", "seed"))
print(f"{metric}, mean over seeds ({setting}):")
print(f"{'weight':>10} {'epoch 0':>9} {'epoch ' + str(epoch[-1]):>9} {'runs':>5}")
for w in np.unique(grid["importance_weight"]):
    rows = keep & (grid["importance_weight"] == w)
    first = np.nanmean(values[rows, 0]) if rows.any() else np.nan
    last = np.nanmean(values[rows, -1]) if rows.any() else np.nan
    print(f"{w:>10.6g} {first:9.4f} {last:9.4f} {rows.sum():5d}")
