#!/usr/bin/python3
"""check_eval_epochs.py — a sweep with a sparse record.eval_epochs against its dense twin (the same
sweep file without the record section), read with h5py, and iwreport on the sparse store.

    /usr/bin/python3 check_eval_epochs.py IWREPORT DENSE.h5 SPARSE.h5 OTHER_COUNT

Expectations come from the sweep file in /spec (its rule read here, independently of the C code),
from the dense store and from the CSV / .dat files read back, never from constants of this run.
Prints "ok - name" / "not ok - name" lines (with "# why" above a failure), exits non-zero on one.
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
import yaml

iwreport, dense_path, sparse_path, other_count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
failed = 0


def report(name, good, why=""):
    global failed
    if not good:
        for line in str(why).splitlines()[:10]:
            print(f"# {line}")
        failed = 1
    print(("ok - " if good else "not ok - ") + name)


def run(*args):
    p = subprocess.run([iwreport, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def read(path):
    with h5py.File(path, "r") as f:
        spec = yaml.safe_load(f["spec"][()].decode())
        metrics = {m: f["metrics"][m][:] for m in f["metrics"]}
        return spec, metrics, f["runs/status"][:], f["evaluated"][:] if "evaluated" in f else None


dspec, dense, dstatus, devaluated = read(dense_path)
spec, sparse, status, evaluated = read(sparse_path)
E = spec["train"]["epochs"]
rule = spec["record"]["eval_epochs"]
want = {0, E} | set(range(rule.get("every_until", 0) + 1)) | set(range(0, E + 1, rule.get("then_every", E + 1)))
want_mask = np.array([e in want for e in range(E + 1)], dtype=np.int8)
ev = want_mask == 1

report("both sweeps finished every run", (status == 1).all() and (dstatus == 1).all(), f"{status} {dstatus}")
report(f"/evaluated is the rule {rule}: epochs {sorted(want)}", evaluated is not None and np.array_equal(evaluated, want_mask),
       f"store {evaluated}, rule {want_mask}")
report("the dense store evaluates every epoch", devaluated is not None and devaluated.all(), f"{devaluated}")
bad = [m for m in sparse if not np.isnan(sparse[m][:, ~ev]).all()]
report("NaN at exactly the unevaluated epochs (every metric, every run)", not bad, f"values at unevaluated epochs: {bad}")
bad = [m for m in sparse if not np.isfinite(sparse[m][:, ev]).all()]
report("a value at every evaluated epoch", not bad, f"NaN at evaluated epochs: {bad}")
bad = [m for m in sparse if not np.array_equal(sparse[m][:, ev], dense[m][:, ev])]
report("values equal the dense sweep's at the evaluated epochs, bit for bit (training does not depend on evaluation)",
       not bad, f"differ: {bad}")
counts = sparse["other_frac_positive"][:, ev].astype(np.float64) * other_count
report(f"other_frac_positive is a count over {other_count} images (data.other_count; over the whole probe's 8000 it would not be)",
       np.allclose(counts, np.round(counts), atol=2e-3), f"{counts[:2]}")

# ---- iwreport summary: the evaluated epochs, read back into a set ----
rc, out, err = run("summary", sparse_path)
m = re.search(r"^evaluated: epochs (.*) \((\d+) of (\d+);", out, re.M)
listed = set()
for item in (m.group(1).split(", ") if m else []):
    r = re.fullmatch(r"(\d+)-(\d+)(?: every (\d+))?|(\d+)", item)
    if r and r.group(4):
        listed.add(int(r.group(4)))
    elif r:
        listed |= set(range(int(r.group(1)), int(r.group(2)) + 1, int(r.group(3) or 1)))
report(f"summary lists the evaluated epochs: {m.group(1) if m else '?'}", rc == 0 and m and listed == want
       and int(m.group(2)) == len(want) and int(m.group(3)) == E + 1, out + err)
rc, out, err = run("summary", dense_path)
report("summary of the dense store: every epoch", rc == 0 and "evaluated: every epoch" in out, out + err)

# ---- table: default epochs are evaluated ones, an unevaluated epoch is refused with the list ----
rc, out, err = run("table", sparse_path, "--probes")
heads = [int(x) for x in re.findall(r"epoch (\d+)", out.split("\n== ")[1] if "\n== " in out else "")]
report(f"table's default epochs {sorted(set(heads))} are evaluated ones, with a value in every cell",
       rc == 0 and heads and set(heads) <= want and not re.search(r"^weight .*\s-\s", out, re.M), out + err)
missing = min(set(range(E + 1)) - want)
rc, out, err = run("table", sparse_path, "--epochs", f"0,{missing}")
report(f"table --epochs 0,{missing} says epoch {missing} was not evaluated and lists those that were",
       rc != 0 and f"epoch {missing} was not evaluated" in err and m and m.group(1) in err, f"rc={rc}: {err}")

# ---- csv: one row per run x epoch, empty metric fields exactly at the unevaluated epochs ----
rc, out, err = run("csv", sparse_path)
rows = list(csv.reader(io.StringIO(out)))
header, rows = rows[0], rows[1:]
first = header.index("epoch") + 1
bad = [r[:first] for r in rows if (int(r[first - 1]) in want) != all(v != "" for v in r[first:])
       or (int(r[first - 1]) not in want and any(v != "" for v in r[first:]))]
report("csv: a row per run x epoch, metric fields empty exactly at the unevaluated epochs",
       rc == 0 and len(rows) == len(status) * (E + 1) and not bad, f"rc={rc}, {len(rows)} rows; bad: {bad[:3]}")

# ---- plot: the lines' data hold the evaluated epochs only, no NaN row to break a line ----
with tempfile.TemporaryDirectory() as d:
    rc, out, err = run("plot", sparse_path, "-o", d)
    png = os.path.join(d, "test_frac_positive.png")
    good = rc == 0 and os.path.exists(png) and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    report("plot writes test_frac_positive.png", good, out + err)
    blocks = []
    with open(os.path.join(d, "test_frac_positive.dat")) as f:
        for block in f.read().split("\n\n\n"):
            lines = [ln.split() for ln in block.splitlines() if ln and not ln.startswith("#")]
            if lines:
                blocks.append(lines)
    bad = [b for b in blocks if [int(x[0]) - 1 for x in b] != sorted(want) or any(x[1] == "NaN" for x in b)]
    report(f"plot data: each of {len(blocks)} lines runs through the evaluated epochs only, none NaN",
           blocks and not bad, f"{bad[:1]}")
sys.exit(failed)
