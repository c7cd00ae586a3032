#!/usr/bin/python3
"""check_report.py — checks iwreport's output on one store against numpy computations from h5py.

    /usr/bin/python3 check_report.py IWREPORT STORE TAG [--expect-pending] [--expect-boundary]

Prints one "ok - TAG: case" / "not ok - TAG: case" line per case (with "# why" lines above a
failure), like the other integration tests, and exits non-zero when a case failed. Expectations
come from the store itself, never from constants: summary counts from /runs/status, table cells
as mean and sample std (ddof 1) over the done/diverged runs with a finite value (a cell of one
value shows no std), csv rows from /metrics, plots by PNG signature and size; weight labels read
back exactly as the stored weight, and are fractions "1/k" only where the weight is exactly 1/k.
"""
import csv
import io
import os
import re
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402  (beside this file)

iwreport, store, tag = sys.argv[1], sys.argv[2], sys.argv[3]
expect_pending = "--expect-pending" in sys.argv
expect_boundary = "--expect-boundary" in sys.argv
no_plot = "--no-plot" in sys.argv        # plots are the slow part: checked on some stores only
AXES = ("importance_weight", "l2", "dropout", "batchnorm", "seed", "sampling")


tap = Tap(tag)
report = tap.report


def run(*args):
    p = subprocess.run([iwreport, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


with h5py.File(store, "r") as f:
    status = f["runs/status"][:]
    axes = [a for a in AXES if a in f["runs"]]
    grid = {a: f["runs"][a][:] for a in axes}
    meanings = {a: f["runs"][a].attrs["flag_meanings"].split() for a in axes
                if "flag_meanings" in f["runs"][a].attrs}
    for a in axes:                           # an HDF5 enum axis: names ordered by value
        enum = h5py.check_enum_dtype(f["runs"][a].dtype)
        if enum:
            meanings[a] = [k for k, _ in sorted(enum.items(), key=lambda kv: kv[1])]
    metric_names = list(f["metrics"].keys())
    metrics = {m: f["metrics"][m][:] for m in metric_names}
    epoch = f["epoch"][:]
R, E1 = len(status), len(epoch)
finished = (status == 1) | (status == 2)

# ---- summary ----
rc, out, err = run("summary", store)
m = re.search(r"runs:\s+(\d+) done, (\d+) diverged, (\d+) failed, (\d+) pending \(of (\d+)\)", out)
want = [int((status == s).sum()) for s in (1, 2, 3, 0)] + [R]
report("summary counts runs by status", rc == 0 and m and [int(x) for x in m.groups()] == want,
       f"rc={rc} want {want}\n{out}{err}")
if expect_pending:
    report("store has pending runs", (status == 0).sum() > 0, f"status {status}")
for a in axes:
    line = re.search(rf"^\s+{a}\s+(\d+):", out, re.M)
    report(f"summary lists axis {a} with its size", line and int(line.group(1)) == len(np.unique(grid[a])), out)


# ---- table ----
def label_value(axis, text):
    """The stored value a table label stands for."""
    if axis in meanings:
        return meanings[axis].index(text)
    if text in ("true", "false"):
        return 1.0 if text == "true" else 0.0
    if text.startswith("1/"):
        return 1.0 / float(text[2:])
    return float(text)


epochs_arg = f"0,1,{epoch[-1]}" if E1 > 2 else "0,last"
want_epochs = [int(x) if x != "last" else int(epoch[-1]) for x in epochs_arg.split(",")]
rc, out, err = run("table", store, "--epochs", epochs_arg, "--probes")
report("table exits 0", rc == 0, err)
cells = checked = 0
bad = []
group_sel = np.ones(R, bool)
current_metric = None
spread_checked = 0
means_seen = []
for line in out.splitlines():
    g = re.match(r"^== (.*) ==$", line)
    if g:
        group_sel = np.ones(R, bool)
        if g.group(1) != "all runs":
            for pair in g.group(1).split():
                k, v = pair.split("=", 1)
                group_sel &= np.isclose(grid[k], label_value(k, v), rtol=1e-5, atol=0)
        continue
    h = re.match(r"^(\w+_\w+)\s+epoch", line)
    if h and h.group(1) in metrics:
        current_metric = h.group(1)
        means_seen = []
        continue
    w = re.match(r"^weight (\S+)\s+(.*)$", line)
    if w and current_metric:
        wsel = group_sel & (grid["importance_weight"] == label_value("importance_weight", w.group(1)))  # labels are exact
        fields = re.findall(r"(-?\d+\.\d+)(?: ± (\d+\.\d+))?(?: \[(\d+)\])?|(?<!\S)-(?!\S)", w.group(2))
        row_means = []
        for e, fld in zip(want_epochs, fields):
            col = list(epoch).index(e)
            vals = metrics[current_metric][wsel & finished, col]
            vals = vals[np.isfinite(vals)].astype(np.float64)
            cells += 1
            if fld[0] == "":
                ok = len(vals) == 0
                row_means.append(None)
            elif len(vals) < 2:     # one value: shown alone, never with "± 0.0000"
                ok = len(vals) == 1 and fld[1] == "" and abs(float(fld[0]) - vals[0]) < 6e-5
                row_means.append(vals.mean() if len(vals) else None)
            else:
                mean, std = float(fld[0]), float(fld[1]) if fld[1] else float("nan")
                sd = vals.std(ddof=1)
                ok = abs(mean - vals.mean()) < 6e-5 and abs(std - sd) < 6e-5
                row_means.append(vals.mean())
            if fld[0] != "" and fld[2]:
                ok = ok and int(fld[2]) == len(vals)
            checked += ok
            if not ok:
                bad.append(f"{current_metric} {line[:40]}... epoch {e}: got {fld}, numpy {vals}")
        report_row = len(fields) == len(want_epochs)
        if not report_row:
            bad.append(f"row has {len(fields)} cells, want {len(want_epochs)}: {line}")
        means_seen.append(row_means)
        continue
    s = re.match(r"^spread across weights\s+(.*)$", line)
    if s and means_seen:
        for i, text in enumerate(s.group(1).split()):
            col = [r[i] for r in means_seen if r[i] is not None]
            if text == "-":
                ok = len(col) < 2
            else:
                ok = len(col) >= 2 and abs(float(text) - (max(col) - min(col))) < 1.1e-4
            spread_checked += 1
            if not ok:
                bad.append(f"spread {current_metric} column {i}: got {text}, numpy {col}")
report("table cells equal numpy mean ± std over seeds", cells > 0 and checked == cells and not bad,
       f"{checked}/{cells} cells right\n" + "\n".join(bad[:8]))
report("table spread across weights equals max - min of the means", spread_checked > 0 and not bad, "\n".join(bad[:4]))
n_blocks = len(re.findall(r"^== ", out, re.M))
n_groups = int(np.prod([len(np.unique(grid[a])) for a in axes if a not in ("importance_weight", "seed")]))
report("table has one block per setting of the other axes", n_blocks == n_groups, f"{n_blocks} blocks, {n_groups} groups")
# weight labels: each reads back as exactly one stored weight; "1/k" only where the weight is
# exactly 1/k for k <= 1000 or a power of two; any other number in no more digits than Python's
# shortest round-trip repr
def exact_k(v):
    if not 0 < v < 1:
        return 0
    k = round(1 / v)
    return k if 2 <= k <= 1048576 and 1.0 / k == v and (k <= 1000 or k & (k - 1) == 0) else 0


labels = sorted(set(re.findall(r"^weight (\S+)", out, re.M)))
weights = set(np.unique(grid["importance_weight"]).tolist())
bad = []
for text in labels:
    v = label_value("importance_weight", text)
    if v not in weights:
        bad.append(f"label {text} reads as {v!r}, not a stored weight")
    elif text.startswith("1/") != bool(exact_k(v)):
        bad.append(f"label {text} for weight {v!r}: a fraction exactly when the weight is 1/k")
    elif not text.startswith("1/") and len(text) > len(repr(v)):
        bad.append(f"label {text} longer than {v!r}")
report("weight labels are exact: a fraction only for an exact 1/k, else the shortest exact number",
       len(labels) == len(weights) and not bad, f"labels {labels}, weights {sorted(weights)}\n" + "\n".join(bad))
if len(np.unique(grid["seed"])) == 1 if "seed" in grid else True:
    report("one seed: the header says n=1 once, no cell shows a std", out.count("n=1") == 1 and "±" not in
           "\n".join(l for l in out.splitlines() if l.startswith("weight ")), out[:400])
widths = set()
for block in out.split("\n== ")[1:]:
    widths |= {len(l) for l in block.splitlines()[1:] if l.strip()}
report("table columns line up (every row of every block equally wide)", len(widths) == 1, f"row widths {sorted(widths)}")

m = re.search(r"left out: (\d+) pending, (\d+) failed", out)
report("table says how many runs were left out", m and int(m.group(1)) == (status == 0).sum()
       and int(m.group(2)) == (status == 3).sum(), out[:300])

# ---- csv ----
rc, out, err = run("csv", store)
rows = list(csv.reader(io.StringIO(out)))
header = rows[0] if rows else []
want_header = ["run"] + axes + ["status", "epoch"]
report("csv header is run,<axes>,status,epoch,<metrics>",
       header[:len(want_header)] == want_header and sorted(header[len(want_header):]) == sorted(metric_names), header)
report("csv has one row per run x epoch", rc == 0 and len(rows) - 1 == R * E1, f"{len(rows) - 1} rows, want {R * E1}")
bad = []
names = {"0": "pending", "1": "done", "2": "diverged", "3": "failed"}
for row in rows[1:]:
    r, e = int(row[0]), int(row[len(axes) + 2])
    col = list(epoch).index(e)
    if row[len(axes) + 1] != names[str(status[r])]:
        bad.append(f"run {r} status {row[len(axes) + 1]}")
    for i, a in enumerate(axes):
        text = row[1 + i]
        v = meanings[a].index(text) if a in meanings else float(text)
        if v != grid[a][r]:
            bad.append(f"run {r} {a} {text} != {grid[a][r]}")
    for j, m in enumerate(header[len(want_header):]):
        text, ref = row[len(want_header) + j], metrics[m][r, col]
        if text == "":
            good = not np.isfinite(ref)
        else:
            good = np.float32(float(text)) == ref
        if not good:
            bad.append(f"run {r} epoch {e} {m}: csv '{text}' store {ref}")
    if len(bad) > 5:
        break
report("csv values equal the store's (axes, status, every metric)", rc == 0 and not bad, "\n".join(bad))
rc, out, err = run("csv", store, "--done-only")
n = out.count("\n") - 1
report("csv --done-only keeps finished runs only", rc == 0 and n == finished.sum() * E1, f"{n} rows, want {finished.sum() * E1}")

# ---- plot ----
with tempfile.TemporaryDirectory() as d:
    if no_plot:
        sys.exit(tap.failed)
    outdir = os.path.join(d, "plots")
    rc, out, err = run("plot", store, "-o", outdir)
    pngs = [p for p in out.split() if p.endswith(".png")]
    report("plot exits 0 and lists its PNGs", rc == 0 and pngs, out + err)
    wanted = ["test_frac_positive.png", "train_loss.png", "train_acc.png"]
    if expect_boundary:
        wanted.append("boundary.png" if n_groups == 1 else "boundary_0.png")
    for name in wanted:
        p = os.path.join(outdir, name)
        ok = os.path.exists(p) and os.path.getsize(p) > 5000
        if ok:
            with open(p, "rb") as fh:
                ok = fh.read(8) == b"\x89PNG\r\n\x1a\n"
        report(f"plot wrote {name} (PNG signature, > 5 kB)", ok, f"{p}: {os.path.exists(p)}")
    if os.environ.get("IW_KEEP_PLOTS"):
        import shutil
        shutil.copytree(outdir, os.environ["IW_KEEP_PLOTS"], dirs_exist_ok=True)

sys.exit(tap.failed)
