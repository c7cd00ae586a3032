#!/usr/bin/python3
"""make_pending_store.py — turns finished runs of a store back into pending ones, as a store looks
while a sweep is still running (or after it was killed): status 0, metric rows and boundary NaN.
Deterministic, unlike interrupting a sweep at some moment.

    /usr/bin/python3 make_pending_store.py STORE RUN [RUN ...]      # edits STORE in place
"""
import sys

import h5py
import numpy as np

with h5py.File(sys.argv[1], "r+") as f:
    for run in (int(a) for a in sys.argv[2:]):
        f["runs/status"][run] = 0
        for name in f["metrics"]:
            f["metrics"][name][run, :] = np.nan
        if "boundary" in f:
            f["boundary"][run] = np.nan
        for name in ("wall_seconds", "cpu_seconds"):
            f["runs"][name][run] = np.nan
