#!/usr/bin/python3
"""check_store.py — checks a store written by the C store writer against schema iwsweep/1
(docs/DESIGN.md) with h5py, numpy and xarray, and against the values the test programs wrote
(tests/unit/store_fixture.h):

    check_store.py pattern STORE RANKS   every dataset, attribute, dimension scale and description;
                                          /runs columns derived from /spec's grid; values of the
                                          fixture pattern (status by run % 4); worker_rank = run %
                                          RANKS; /runs/host (a char array) reads back
    check_store.py killed STORE          after a SIGKILL: every run marked done has complete rows
    check_store.py complete STORE        every run done, every row complete
Every mode also opens the store with xarray's two HDF5 engines, netcdf4 (netCDF-C) and h5netcdf,
without options, each in a child process (netCDF-C aborts the whole process on some layouts):
named dimensions, /runs/host decoded into strings.

Prints "ok - NAME" / "not ok - NAME" lines (with "# why" lines) and exits non-zero on a failure.
"""
import datetime
import sys

import h5py
import numpy as np
import yaml

METRICS = ["train_loss", "train_acc", "train_frac_positive", "test_acc", "test_frac_positive",
           "other_frac_positive", "noise_frac_positive", "weight_norm", "test_acc_negative",
           "test_acc_positive", "test_balanced_acc", "val_loss", "val_loss_unweighted", "val_acc",
           "val_acc_negative", "val_acc_positive", "val_balanced_acc"]
AXES = ["importance_weight", "l2", "dropout", "batchnorm", "seed", "sampling"]
AXIS_DEFAULTS = {"importance_weight": [1.0], "l2": [0.0], "dropout": [0.0], "batchnorm": [False],
                 "seed": [0]}
PROVENANCE = ["wall_seconds", "cpu_seconds", "worker_rank", "attempt", "slurm_job_id",
              "slurm_restart_count", "host"]
DIVERGED_EPOCH = 2   # FIXTURE_DIVERGED_EPOCH
HOST_LEN = 64        # IW_STORE_HOST_LEN: /runs/host is a char array [R, 64]
NETCDF_NO_VARIABLE = "This is a netCDF dimension but not a netCDF variable.%10d" % HOST_LEN
failed = False


def case(name, problems):
    global failed
    for p in problems[:10]:
        print("# " + p)
    print(("not ok - " if problems else "ok - ") + name)
    failed |= bool(problems)


def expected_metrics(runs, E, status):
    """fixture_metric: run * 100 + m * 10 + e, NaN from DIVERGED_EPOCH for diverged runs."""
    r = np.asarray(runs, dtype=np.float64)[:, None, None]
    m = np.arange(len(METRICS))[None, :, None]
    e = np.arange(E + 1)[None, None, :]
    v = (r * 100 + m * 10 + e).astype(np.float32)
    v = np.broadcast_to(v, (len(runs), len(METRICS), E + 1)).copy()
    v[(np.asarray(status) == 2), :, DIVERGED_EPOCH:] = np.nan
    return v


def expected_boundary(runs, S, G):
    r = np.asarray(runs, dtype=np.float64)[:, None, None, None]
    s = np.arange(S)[None, :, None, None] / 4.0
    iy = np.arange(G)[None, None, :, None] / 100.0
    ix = np.arange(G)[None, None, None, :] / 10000.0
    return (r + s + iy + ix).astype(np.float32)


def evaluated_from_spec(spec, E):
    """record.eval_epochs as the sweep file writes it (all, a list, {every_until, then_every}) with
    epoch 0, E and the boundary epochs: 1 where evaluated."""
    rec = spec.get("record") or {}
    sched = rec.get("eval_epochs", "all")
    want = set(range(E + 1)) if sched == "all" else {0, E} | set(rec.get("boundary_epochs", []))
    if isinstance(sched, list):
        want |= set(sched)
    elif isinstance(sched, dict):
        want |= set(range(min(sched.get("every_until", 0), E) + 1))
        if sched.get("then_every"):
            want |= set(range(0, E + 1, sched["then_every"]))
    return np.array([e in want for e in range(E + 1)], dtype=np.int8)


def metric_rows(f, runs):
    return np.stack([f["metrics/" + m][:][runs] for m in METRICS], axis=1)


def same(a, b):
    return np.array_equal(a, b, equal_nan=True)


def check_schema(f, problems):
    for k in ["schema", "name", "spec_sha256", "created", "version", "openblas_core", "mpi_library"]:
        if k not in f.attrs:
            problems.append("root attribute %s missing" % k)
        elif not isinstance(f.attrs[k], str):
            problems.append("root attribute %s is %r, not a str" % (k, type(f.attrs[k])))
    if f.attrs.get("schema") != "iwsweep/1":
        problems.append("schema = %r" % f.attrs.get("schema"))
    if len(f.attrs.get("spec_sha256", "")) != 64:
        problems.append("spec_sha256 is not 64 hex digits")
    try:
        datetime.datetime.strptime(f.attrs.get("created", ""), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        problems.append("created %r is not UTC ISO 8601" % f.attrs.get("created"))
    missing = []
    f.visititems(lambda name, obj: missing.append(name)
                 if isinstance(obj, h5py.Dataset) and "description" not in obj.attrs else None)
    if missing:
        problems.append("datasets without a description: %s" % missing)


def check_pattern(path, ranks):
    with h5py.File(path, "r") as f:
        problems = []
        check_schema(f, problems)
        case("root attributes, descriptions", problems)

        problems = []
        spec = yaml.safe_load(f["spec"][()].decode())
        E = spec["train"]["epochs"]
        grid = spec["grid"]
        axes = [a for a in AXES if a in grid or a in AXIS_DEFAULTS]
        values = {a: grid.get(a, AXIS_DEFAULTS.get(a)) for a in axes}
        shape = [len(values[a]) for a in axes]
        R = int(np.prod(shape))
        digits = np.array(np.unravel_index(np.arange(R), shape))   # last axis fastest
        for i, a in enumerate(axes):
            d = f["runs/" + a]
            want = np.array(values[a])[digits[i]]
            if a == "batchnorm" or a == "sampling":
                want = (want == True) if a == "batchnorm" else (want == "subsample")  # noqa: E712
                if d.dtype != np.int8:
                    problems.append("runs/%s is %s, not int8" % (a, d.dtype))
                meanings = "false true" if a == "batchnorm" else "weight subsample"
                if d.attrs.get("flag_meanings") != meanings or list(d.attrs.get("flag_values", [])) != [0, 1]:
                    problems.append("runs/%s flag attributes %r" % (a, dict(d.attrs)))
            elif a == "seed" and d.dtype != np.int64:
                problems.append("runs/seed is %s" % d.dtype)
            elif a not in ("seed",) and d.dtype != np.float64:
                problems.append("runs/%s is %s" % (a, d.dtype))
            if not np.array_equal(d[:], want.astype(d.dtype)):
                problems.append("runs/%s differs from the grid of /spec" % a)
        if not np.array_equal(f["run"][:], np.arange(R)) or f["run"].dtype != np.int64:
            problems.append("/run is not int64 0..R-1")
        if not np.array_equal(f["epoch"][:], np.arange(E + 1)) or f["epoch"].dtype != np.int32:
            problems.append("/epoch is not int32 0..E")
        case("runs columns in grid order (R=%d, E=%d)" % (R, E), problems)

        problems = []
        for scale in ["run", "epoch"]:
            if not h5py.h5ds.is_scale(f[scale].id):
                problems.append("/%s is not a dimension scale" % scale)
        for name in list(f["runs"]):
            d = f["runs/" + name]
            if name == "host_strlen":   # the length dimension of the host char array
                if d.shape != (HOST_LEN,) or not h5py.h5ds.is_scale(d.id) or h5py.h5ds.get_scale_name(d.id) != NETCDF_NO_VARIABLE.encode():
                    problems.append("runs/host_strlen: shape %s, scale name %r" % (d.shape, h5py.h5ds.get_scale_name(d.id)))
                continue
            if name == "host":
                if d.shape != (R, HOST_LEN) or [d.dims[i][0].name for i in range(2)] != ["/run", "/runs/host_strlen"]:
                    problems.append("runs/host: shape %s, scales %s" % (d.shape, [list(d.dims[i].keys()) for i in range(d.ndim)]))
            elif name == "train_class_count":    # [run, class]
                if d.shape != (R, 2) or d.dtype != np.int64 or [d.dims[i][0].name for i in range(2)] != ["/run", "/class"]:
                    problems.append("runs/train_class_count: %s %s" % (d.shape, d.dtype))
            elif d.shape != (R,) or len(d.dims[0]) != 1 or d.dims[0][0].name != "/run":
                problems.append("runs/%s: shape %s, dimension 0 scale %s" % (name, d.shape, list(d.dims[0].keys())))
        if list(f["class"][:]) != [0, 1] or f["class"].attrs.get("flag_meanings") != "negative positive":
            problems.append("/class is not [0, 1] with flag_meanings 'negative positive'")
        for m in METRICS:
            d = f["metrics/" + m]
            if d.shape != (R, E + 1) or d.dtype != np.float32:
                problems.append("metrics/%s: %s %s" % (m, d.shape, d.dtype))
            if [d.dims[i][0].name for i in range(2)] != ["/run", "/epoch"]:
                problems.append("metrics/%s scales %s" % (m, [d.dims[i][0].name for i in range(2)]))
        for p in PROVENANCE + ["status"]:
            if p not in f["runs"]:
                problems.append("runs/%s missing" % p)
        ev = f["evaluated"] if "evaluated" in f else None
        if ev is None or ev.shape != (E + 1,) or ev.dtype != np.int8 or ev.dims[0][0].name != "/epoch":
            problems.append("/evaluated is not int8[E+1] with the epoch scale: %r" % ev)
        elif not np.array_equal(ev[:], evaluated_from_spec(spec, E)):
            problems.append("/evaluated %s, from /spec %s" % (ev[:], evaluated_from_spec(spec, E)))
        case("shapes and dimension scales", problems)

        problems = []
        runs = np.arange(R)
        status = f["runs/status"][:]
        want_status = np.array([1, 2, 3, 0], dtype=np.int8)[runs % 4]
        if f["runs/status"].dtype != np.int8 or not np.array_equal(status, want_status):
            problems.append("status %s, expected %s" % (status[:8], want_status[:8]))
        if list(f["runs/status"].attrs.get("flag_values", [])) != [0, 1, 2, 3]:
            problems.append("status flag_values missing")
        rows = metric_rows(f, runs)
        finished = np.isin(want_status, [1, 2])
        want = expected_metrics(runs[finished], E, want_status[finished])
        if not same(rows[finished], want):
            problems.append("metrics of done/diverged runs differ from what was written")
        if not np.all(np.isnan(rows[~finished])):
            problems.append("metrics of pending/failed runs are not all NaN")
        written = want_status != 0
        prov = {p: f["runs/" + p][:] for p in PROVENANCE}
        checks = {"wall_seconds": runs + 0.5, "cpu_seconds": runs + 0.25, "worker_rank": runs % ranks,
                  "attempt": np.ones(R), "slurm_job_id": 1000 + runs, "slurm_restart_count": runs % 3}
        for p, v in checks.items():
            if not np.array_equal(prov[p][written], v[written]):
                problems.append("runs/%s of written runs: %s, expected %s" % (p, prov[p][written][:6], v[written][:6]))
        host = f["runs/host"]
        if host.dtype != np.dtype("S1") or host.attrs.get("_Encoding") != "ascii":
            problems.append("runs/host is %s, _Encoding %r: expected a netCDF char array (S1) of ASCII"
                            % (host.dtype, host.attrs.get("_Encoding")))
        want_host = np.array([b"fixture-host-%d" % r if w else b"" for r, w in zip(runs, written)])
        got_host = host[:].view("S%d" % HOST_LEN)[:, 0]
        if not np.array_equal(got_host, want_host):
            problems.append("runs/host %s, expected %s" % (got_host[:4], want_host[:4]))
        if not (np.all(np.isnan(prov["wall_seconds"][~written])) and np.all(prov["attempt"][~written] == 0)):
            problems.append("pending runs: wall_seconds not NaN or attempt not 0")
        counts = f["runs/train_class_count"][:]
        want_counts = np.stack([runs + 7, 2 * runs], axis=1)
        if not np.array_equal(counts[finished], want_counts[finished]) or np.any(counts[~finished] != 0):
            problems.append("runs/train_class_count: %s, expected %s (0 for runs without rows)" % (counts[:3].tolist(), want_counts[:3].tolist()))
        case("values: statuses, NaN for pending runs, provenance (%d ranks)" % ranks, problems)

        if "boundary_epochs" in spec.get("record", {}):
            problems = []
            rec = spec["record"]
            S, G = len(rec["boundary_epochs"]), rec["boundary_grid"]
            b = f["boundary"]
            if b.shape != (R, S, G, G) or b.dtype != np.float32:
                problems.append("boundary %s %s" % (b.shape, b.dtype))
            if [b.dims[i][0].name for i in range(4)] != ["/run", "/boundary_epoch", "/y", "/x"]:
                problems.append("boundary scales %s" % [b.dims[i][0].name for i in range(4)])
            rng = rec["boundary_range"]
            if not (np.allclose(f["x"][:], np.linspace(rng[0], rng[1], G)) and
                    np.allclose(f["y"][:], np.linspace(rng[2], rng[3], G))):
                problems.append("x / y are not linspace of boundary_range")
            if list(f["boundary_epoch"][:]) != rec["boundary_epochs"] or f["boundary_epoch"].dtype != np.int32:
                problems.append("boundary_epoch %s" % f["boundary_epoch"][:])
            got = b[:]
            if not same(got[finished], expected_boundary(runs[finished], S, G)):
                problems.append("boundary of finished runs differs")
            if not np.all(np.isnan(got[~finished])):
                problems.append("boundary of pending/failed runs is not NaN")
            case("boundary [run, boundary_epoch, y, x]", problems)
    check_xarray(path)


def xarray_problems(path, engine):
    """What is wrong when xarray opens the store with `engine` and no options (run in a child
    process: a library that aborts takes only the child down)."""
    import xarray as xr
    problems = []
    root = xr.open_dataset(path, engine=engine)
    runs = xr.open_dataset(path, engine=engine, group="runs")
    metrics = xr.open_dataset(path, engine=engine, group="metrics")
    for m in METRICS:
        if metrics[m].dims != ("run", "epoch"):
            problems.append("%s: metrics/%s dims %s" % (engine, m, metrics[m].dims))
    for name in runs.data_vars:
        if runs[name].dims != (("run", "class") if name == "train_class_count" else ("run",)):
            problems.append("%s: runs/%s dims %s" % (engine, name, runs[name].dims))
    if runs["status"].dtype != np.int8:
        problems.append("%s: status read as %s (a fill value would mask pending runs)" % (engine, runs["status"].dtype))
    with h5py.File(path, "r") as f:
        want_host = f["runs/host"][:].view("S%d" % HOST_LEN)[:, 0].astype(str)
    host = runs["host"].values
    if host.dtype.kind not in "OU" or not np.array_equal(host.astype(str), want_host):
        problems.append("%s: runs/host read as %s %s, expected the strings %s" % (engine, host.dtype, host[:3], want_host[:3]))
    if "host_strlen" in runs.variables or "host_strlen" in runs.dims:
        problems.append("%s: the char dimension host_strlen is still visible: %s" % (engine, dict(runs.dims)))
    if "boundary" in root and root["boundary"].dims != ("run", "boundary_epoch", "y", "x"):
        problems.append("%s: boundary dims %s" % (engine, root["boundary"].dims))
    if list(root["epoch"].values) != list(range(root.sizes["epoch"])):
        problems.append("%s: epoch coordinate %s" % (engine, root["epoch"].values))
    # the analysis a user does: runs and metrics joined on the run dimension
    both = xr.merge([runs, metrics])
    done = both.where(both.status == 1, drop=True)
    if done.sizes["run"] == 0 or bool(np.isnan(done.test_acc).any()):
        problems.append("%s: merged runs + metrics: done runs have NaN metrics" % engine)
    for ds in (root, runs, metrics):
        ds.close()
    return problems


def check_xarray(path):
    """Both of xarray's engines for HDF5 (netcdf4: netCDF-C; h5netcdf: h5py) must open the store
    without options (DESIGN: the store opens in xarray without extra code)."""
    import json
    import subprocess
    from xarray.backends import list_engines
    problems = []
    for engine in ("netcdf4", "h5netcdf"):
        if engine not in list_engines():
            problems.append("xarray has no %s engine (Debian: python3-%s)" % (engine, engine))
            continue
        child = subprocess.run([sys.executable, __file__, "xarray-engine", path, engine],
                               capture_output=True, text=True, timeout=600)
        lines = child.stdout.strip().splitlines()
        if child.returncode != 0 or not lines:
            why = "killed by signal %d" % -child.returncode if child.returncode < 0 else "exit %d" % child.returncode
            problems.append("%s: opening the store %s: %s" % (engine, why, " ".join(child.stderr.strip().splitlines()[-3:])))
        else:
            problems += json.loads(lines[-1])
    case("xarray opens the store without options, named dimensions, host as strings (netcdf4, h5netcdf)", problems)


def check_done_rows(path, require_all):
    with h5py.File(path, "r") as f:
        status = f["runs/status"][:]
        E = f["epoch"].shape[0] - 1
        R = status.shape[0]
        done = np.flatnonzero(status == 1)
        pending = np.flatnonzero(status == 0)
        problems = []
        check_schema(f, problems)
        if set(np.unique(status)) - {0, 1}:
            problems.append("unexpected statuses %s" % np.unique(status))
        rows = metric_rows(f, done)
        if not same(rows, expected_metrics(done, E, status[done])):
            bad = [int(r) for i, r in enumerate(done) if not same(rows[i], expected_metrics([r], E, [1])[0])]
            problems.append("runs marked done with wrong or incomplete rows: %s" % bad[:10])
        prov = f["runs/worker_rank"][:][done]
        if not np.array_equal(f["runs/attempt"][:][done], np.ones(len(done))):
            problems.append("done runs without attempt 1")
        partial = sum(1 for r in pending if not np.all(np.isnan(metric_rows(f, [r]))))
        print("# %d of %d runs done, %d pending (%d of them with rows written, status not yet); ranks seen: %s"
              % (len(done), R, len(pending), partial, sorted(set(prov.tolist()))))
        if require_all and len(pending):
            problems.append("%d runs still pending" % len(pending))
        if not require_all and (len(done) < 50 or len(pending) == 0):
            problems.append("the kill did not land mid-sweep (%d done, %d pending)" % (len(done), len(pending)))
        case("every run marked done is complete (%s)" % ("after resume" if require_all else "after SIGKILL"), problems)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "pattern" and len(sys.argv) == 4:
        check_pattern(sys.argv[2], int(sys.argv[3]))
    elif mode in ("killed", "complete") and len(sys.argv) == 3:
        check_done_rows(sys.argv[2], mode == "complete")
        check_xarray(sys.argv[2])
    elif mode == "xarray-engine" and len(sys.argv) == 4:   # check_xarray's child process
        import json
        try:
            problems = xarray_problems(sys.argv[2], sys.argv[3])
        except Exception as e:  # any failure to open is what the case reports
            problems = ["%s: %s: %s" % (sys.argv[3], type(e).__name__, e)]
        print(json.dumps(problems))
    else:
        sys.exit(__doc__)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
