#!/usr/bin/python3
"""read_xarray.py — open a sweep's store with xarray: named dimensions, then the grid unstacked.

    /usr/bin/python3 docs/examples/read_xarray.py results/NAME.h5

The store opens with the h5netcdf engine, one group at a time (xarray reads one HDF5 group per
Dataset): / holds the coordinates run and epoch (HDF5 dimension scales), /metrics the (run, epoch)
arrays, /runs the grid axes and status of each run. Merged, every variable has named dimensions;
unstacking `run` by the grid axes gives arrays indexed by importance_weight, l2, dropout,
batchnorm, seed (and sampling), epoch.
"""
import sys

import xarray as xr

path = sys.argv[1]
root = xr.open_dataset(path, engine="h5netcdf")                    # coords run, epoch; attrs
metrics = xr.open_dataset(path, engine="h5netcdf", group="metrics")  # dims (run, epoch)
runs = xr.open_dataset(path, engine="h5netcdf", group="runs")        # dim (run)
ds = xr.merge([root[["run", "epoch"]], metrics, runs])
print(ds)

axes = [a for a in ("importance_weight", "l2", "dropout", "batchnorm", "seed", "sampling") if a in runs]
ds = ds.set_coords(axes)                                            # coordinates are not masked below
finished = ds.where((ds.status == 1) | (ds.status == 2))           # pending / failed runs -> NaN
grid = finished.set_index(run=axes).unstack("run")
frac = grid.test_frac_positive                                      # dims: epoch, importance_weight, l2, ...
print(frac.dims)
print("test_frac_positive, mean over seeds, first setting of the other axes:")
others = {a: 0 for a in axes if a not in ("importance_weight", "seed")}
table = frac.isel(others).mean("seed").isel(epoch=[0, -1])
print(table.to_pandas().round(4))
