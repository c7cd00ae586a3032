#!/usr/bin/python3
"""make_fake_store.py — writes a small store that follows the iwsweep/1 schema (docs/DESIGN.md) with
h5py, for testing the reader and iwreport without running a sweep.

    /usr/bin/python3 make_fake_store.py OUT.h5 [--sampling] [--boundary] [--weights W,W,...] [--seeds N]

Grid: importance_weight [1/16, 1, 16] x l2 [0, 0.001] x dropout [0] x batchnorm [false, true] x
seed [0, 1] (x sampling [weight, subsample] with --sampling, stored as an HDF5 enum to check that the reader
copes with it; the real writer uses int8 with flag attributes, as for batchnorm here), E = 6 epochs. Statuses include
pending (NaN rows), diverged (NaN after an epoch) and failed, so every counting path is exercised.
Values are random but fixed by a seed; the tests compute their expectations from this file with
numpy, never from constants. --weights replaces the importance weights (e.g. 1e-300,0.3333333333)
and --seeds the number of seeds (1: every cell holds one value).
"""
import sys
import numpy as np
import h5py

METRICS = ["train_loss", "train_acc", "train_frac_positive", "test_acc", "test_frac_positive",
           "other_frac_positive", "noise_frac_positive", "weight_norm"]


def main():
    out = sys.argv[1]
    sampling = "--sampling" in sys.argv
    boundary = "--boundary" in sys.argv
    rng = np.random.default_rng(7)
    def option(name, default):
        return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default
    weights = [float(x) for x in option("--weights", "0.0625,1,16").split(",")]
    seeds = list(range(int(option("--seeds", "2"))))
    axes = {"importance_weight": weights, "l2": [0.0, 0.001], "dropout": [0.0],
            "batchnorm": [False, True], "seed": seeds}
    if sampling:
        axes["sampling"] = ["weight", "subsample"]
    shape = [len(v) for v in axes.values()]
    R = int(np.prod(shape))
    E = 6
    idx = np.array(np.unravel_index(np.arange(R), shape)).T   # grid order, last axis fastest
    spec = ("name: fake\ndata:\n  source: synthetic2d\n  train_per_class: 50\n  test_per_class: 50\n"
            "model:\n  kind: linear\ntrain:\n  epochs: %d\ngrid:\n  importance_weight: [0.0625, 1, 16]\n"
            "  l2: [0, 0.001]\n  batchnorm: [false, true]\n  seed: [0, 1]\n" % E)
    if sampling:
        spec += "  sampling: [weight, subsample]\n"
    with h5py.File(out, "w") as f:
        for k, v in {"schema": "iwsweep/1", "name": "fake", "spec_sha256": "0" * 64,
                     "created": "2026-01-01T00:00:00Z", "version": "0.1.0",
                     "openblas_core": "Haswell", "mpi_library": "Open MPI v4.1.4"}.items():
            f.attrs[k] = v
        f["spec"] = spec
        f["spec"].attrs["description"] = "the sweep file, verbatim"
        runs = f.create_group("runs")
        for a, (name, values) in enumerate(axes.items()):
            col = [values[i] for i in idx[:, a]]
            if name == "sampling":
                dt = h5py.enum_dtype({"weight": 0, "subsample": 1}, basetype="i1")
                runs.create_dataset(name, data=np.array([values.index(c) for c in col], dtype="i1"), dtype=dt)
            elif name == "batchnorm":     # as the writer does: int8 with CF flag attributes
                runs[name] = np.array(col, dtype=np.int8)
                runs[name].attrs["flag_values"] = np.array([0, 1], dtype=np.int8)
                runs[name].attrs["flag_meanings"] = "false true"
            elif name == "seed":
                runs[name] = np.array(col, dtype=np.int64)
            else:
                runs[name] = np.array(col, dtype=np.float64)
            runs[name].attrs["description"] = "grid axis " + name
        status = np.ones(R, dtype=np.int8)
        status[R - 3:] = 0          # last three pending
        status[1] = 2               # diverged
        status[4] = 3               # failed
        runs["status"] = status
        runs["wall_seconds"] = np.where(status > 0, rng.uniform(1, 5, R), 0.0)
        runs["cpu_seconds"] = np.where(status > 0, rng.uniform(1, 5, R), 0.0)
        runs["worker_rank"] = np.where(status > 0, 1 + np.arange(R) % 2, -1).astype(np.int32)
        runs["attempt"] = (status > 0).astype(np.int32)
        runs["slurm_job_id"] = np.zeros(R, dtype=np.int64)
        f["run"] = np.arange(R, dtype=np.int64)
        f["epoch"] = np.arange(E + 1, dtype=np.int32)
        f["run"].make_scale("run")
        f["epoch"].make_scale("epoch")
        for name in runs:
            runs[name].dims[0].attach_scale(f["run"])
        mg = f.create_group("metrics")
        w = np.array([axes["importance_weight"][i] for i in idx[:, 0]])
        t = np.arange(E + 1)
        for m in METRICS:
            # a curve that starts at w/(1+w) and fades towards 1/2, plus seed noise
            base = 0.5 + (w[:, None] / (1 + w[:, None]) - 0.5) * np.exp(-t[None, :] / 3.0)
            vals = (base + rng.normal(0, 0.05, (R, E + 1))).astype(np.float32)
            vals[status == 0, :] = np.nan
            vals[status == 3, :] = np.nan
            vals[1, 3:] = np.nan    # the diverged run stops at epoch 3
            d = mg.create_dataset(m, data=vals)
            d.attrs["description"] = "metric " + m
            d.dims[0].attach_scale(f["run"])
            d.dims[1].attach_scale(f["epoch"])
        if boundary:
            G, S = 16, 3
            f["boundary_epoch"] = np.array([0, 2, E], dtype=np.int32)
            f["boundary_x"] = np.linspace(-4, 6, G)
            f["boundary_y"] = np.linspace(-4, 6, G)
            xs, ys = np.meshgrid(f["boundary_x"][:], f["boundary_y"][:])
            b = np.empty((R, S, G, G), dtype=np.float32)
            for r in range(R):
                for s in range(S):
                    b[r, s] = 1 / (1 + np.exp(-(xs - 1 + 0.3 * s - 0.2 * np.log(w[r]))))
            b[status == 0] = np.nan
            d = f.create_dataset("boundary", data=b)
            d.attrs["description"] = "p(positive) on a grid"
            for name in ("boundary_epoch", "boundary_x", "boundary_y"):
                f[name].make_scale(name)
            d.dims[0].attach_scale(f["run"])
            d.dims[1].attach_scale(f["boundary_epoch"])
            d.dims[2].attach_scale(f["boundary_y"])
            d.dims[3].attach_scale(f["boundary_x"])


if __name__ == "__main__":
    main()
