#!/usr/bin/python3
"""read_xarray.py — open a sweep's store with xarray: named dimensions, then the grid unstacked.

    /usr/bin/python3 docs/examples/read_xarray.py results/NAME.h5 [METRIC]

The store opens with the h5netcdf engine, one group at a time (xarray reads one HDF5 group per
Dataset): / holds the coordinates run and epoch (HDF5 dimension scales), /metrics the (run, epoch)
arrays, /runs the grid axes, status and provenance of each run. The grid axes are the /runs
variables whose description starts with "grid axis" (importance_weight, l2, dropout, batchnorm,
seed, and whichever of sampling, loss, poly_alpha, weight_exponent, reweight_from, normalize the
sweep file named). Unstacking `run` by all of them gives METRIC (default test_frac_positive) as an
array indexed by every axis and epoch: each grid point is one cell, so the mean over seeds never
mixes two settings of the other axes.
"""
import sys

import numpy as np
import xarray as xr

path = sys.argv[1]
metric = sys.argv[2] if len(sys.argv) > 2 else "test_frac_positive"
root = xr.open_dataset(path, engine="h5netcdf")                      # coords run, epoch; attrs
metrics = xr.open_dataset(path, engine="h5netcdf", group="metrics")  # dims (run, epoch)
runs = xr.open_dataset(path, engine="h5netcdf", group="runs")        # dim (run)
print(xr.merge([root[["run", "epoch"]], metrics, runs]))             # every per-run variable, named dims

axes = [a for a in runs if runs[a].attrs.get("description", "").startswith("grid axis")]


def named(v):
    """An axis with CF flag attributes (int8 codes 0, 1, ...) as its flag_meanings ("false", "poly")."""
    names = v.attrs.get("flag_meanings")
    return v.copy(data=np.array(names.split())[v.values]) if names else v


# Only the float metric is unstacked: xarray 2023.01 fills an unstacked integer variable (status,
# seed, ...) with NaN and warns "invalid value encountered in cast", even when no cell is missing.
finished = (runs.status == 1) | (runs.status == 2)
values = metrics[metric].where(finished)                            # pending / failed runs -> NaN
values = values.assign_coords(epoch=root.epoch, **{a: named(runs[a]) for a in axes})
grid = values.set_index(run=axes).unstack("run")                    # one dimension per grid axis
print(dict(grid.sizes))                                             # epoch, importance_weight, l2, ...

# Axes with one value in this sweep (often l2, dropout, batchnorm) are squeezed away; every other
# axis but seed stays an index level of the table, so each row is one setting and weight.
table = grid.mean("seed").isel(epoch=[0, -1]).squeeze().to_series().unstack("epoch")
print(f"{metric}, mean over seeds, every setting of the grid axes (columns: epoch):")
print(table.round(4).to_string())
