#!/usr/bin/python3
"""read_store.py — load a sweep's metrics into numpy with h5py, with the grid columns beside them.

    /usr/bin/python3 docs/examples/read_store.py results/NAME.h5 [METRIC]

Prints the mean over seeds of METRIC (default test_frac_positive) per importance weight before
training and at the last epoch, one block per setting of the other grid axes. The grid axes come
from the store: every /runs dataset whose description starts with "grid axis" (the others are the
run status and provenance), so a sweep with loss, weight_exponent, normalize, ... axes gets one
block per combination of them; runs are averaged over seeds only. Works on a store that a sweep is
still writing: runs not done yet are pending (status 0) and their rows are NaN.
"""
import sys

import h5py
import numpy as np

path = sys.argv[1]
metric = sys.argv[2] if len(sys.argv) > 2 else "test_frac_positive"

with h5py.File(path, "r") as f:
    assert f.attrs["schema"] == "iwsweep/1"
    runs = f["runs"]
    axes = [a for a in runs if runs[a].attrs.get("description", "").startswith("grid axis")]
    grid = {a: runs[a][:] for a in axes}                   # one value per run (R,)
    labels = {a: runs[a].attrs["flag_meanings"].split()   # int8 axes: code 0, 1, ... -> "false", "poly", ...
              for a in axes if "flag_meanings" in runs[a].attrs}
    status = runs["status"][:]                             # 0 pending, 1 done, 2 diverged, 3 failed
    epoch = f["epoch"][:]                                  # 0..E (0 = before training)
    values = f["metrics"][metric][:].astype(np.float64)   # (R, E+1), stored float32, NaN where not written


def show(a, v):
    return labels[a][int(v)] if a in labels else f"{v:g}"


finished = (status == 1) | (status == 2)                   # diverged runs have values up to divergence
print(f"{path}: {len(status)} runs, {finished.sum()} finished, epochs 0..{epoch[-1]}")
fixed = [a for a in axes if len(np.unique(grid[a])) == 1]
print("the same in every run: " + (" ".join(f"{a}={show(a, grid[a][0])}" for a in fixed) or "-"))

# A setting: one value of every axis that varies, except importance_weight (the rows of a block)
# and seed (averaged over). Runs of different settings are never averaged together.
others = [a for a in axes if a not in fixed and a not in ("importance_weight", "seed")]
keys = np.column_stack([grid[a] for a in others] or [np.zeros(len(status))])  # (R, max(1, #others))
weights = np.unique(grid["importance_weight"])
print(f"{metric}, mean over seeds:")
for key in np.unique(keys, axis=0):
    in_setting = finished & (keys == key).all(axis=1)
    print()
    print("setting: " + (" ".join(f"{a}={show(a, v)}" for a, v in zip(others, key)) or "all runs"))
    print(f"{'weight':>10} {'epoch 0':>9} {'epoch ' + str(epoch[-1]):>9} {'runs':>5}")
    for w in weights:
        rows = in_setting & (grid["importance_weight"] == w)
        first = np.nanmean(values[rows, 0]) if rows.any() else np.nan
        last = np.nanmean(values[rows, -1]) if rows.any() else np.nan
        print(f"{w:>10.6g} {first:9.4f} {last:9.4f} {rows.sum():5d}")
