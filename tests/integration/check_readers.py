#!/usr/bin/python3
"""check_readers.py — runs every store reader we ship or show on one store and checks each cell it
prints against `iwreport table` for the same cell.

    /usr/bin/python3 check_readers.py IWREPORT STORE README DOCS_EXAMPLES TAG [--settings N]

The readers: the h5py and xarray blocks of README.md (under "Reading it with h5py" / "With xarray",
run as pasted, with the store linked where they look, results/fmnist-tshirt-shirt.h5), and
docs/examples/read_store.py and read_xarray.py. A cell is one value of every grid axis but seed
(axes with one value in the store need not be named), averaged over seeds at one epoch.
iwreport's table groups by every axis (src/store/reader_axes.c), so the expected cells and means
come from it (--epochs 0,1,last; four decimals); a reader passes when it prints exactly the table's
cells (no cell merged with another, none missing) with means within the rounding of both, and
writes nothing on stderr (no warnings). --settings N also asserts that the store has N settings of
the axes other than weight and seed, and that merging them would change a printed mean (so a
merging reader could not pass). The pandas tables of the xarray readers are printed with every
row and every index level on each row (display options only: the numbers are the reader's own).

Prints one "ok - TAG: case" / "not ok - TAG: case" line per case (with "# why" lines above a
failure) and exits non-zero when a case failed.
"""
import csv
import io
import math
import os
import re
import subprocess
import sys
import tempfile
from fractions import Fraction

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402  (beside this file)

iwreport, store, readme, examples, tag = sys.argv[1:6]
examples = os.path.abspath(examples)
want_settings = int(sys.argv[sys.argv.index("--settings") + 1]) if "--settings" in sys.argv else None
PY = "/usr/bin/python3"
STORE_LINK = "results/fmnist-tshirt-shirt.h5"    # where the README blocks look


tap = Tap(tag)
report = tap.report


def canon(label):
    """An axis value as printed ("1/4", "0.25", "4.00", "1.0", "poly", "true") -> a comparable form."""
    try:
        return f"{float(Fraction(label)):.6g}"
    except (ValueError, ZeroDivisionError):
        return label.lower()


def number(text):
    return float("nan") if text in ("-", "NaN", "nan") else float(text)


def decimals(text):
    return len(text.split(".")[1]) if "." in text else 0


# ---- the grid axes, as iwreport sees them and as the readers' rule finds them ----
p = subprocess.run([iwreport, "csv", store], capture_output=True, text=True)
header = next(csv.reader(io.StringIO(p.stdout))) if p.returncode == 0 else []
iw_axes = header[1:header.index("status")] if "status" in header else []
with h5py.File(store, "r") as f:
    runs = f["runs"]
    rule_axes = [a for a in runs if runs[a].attrs.get("description", "").startswith("grid axis")]
    one_value = {a for a in rule_axes if len(np.unique(runs[a][:])) == 1}
report("the readers' rule (description 'grid axis ...') finds iwreport's axes",
       iw_axes and sorted(rule_axes) == sorted(iw_axes), f"rule: {sorted(rule_axes)}\niwreport csv: {iw_axes}")


def cell_key(pairs):
    """{axis: label} of a printed cell -> a hashable key; axes with one value in the store dropped."""
    return tuple(sorted((a, canon(v)) for a, v in pairs.items() if a not in one_value and a != "seed"))


# ---- expected cells: iwreport table, one block per setting, one row per weight ----
p = subprocess.run([iwreport, "table", store, "--epochs", "0,1,last"], capture_output=True, text=True)
table, setting, epochs = {}, None, []
for line in p.stdout.splitlines():
    if line.startswith("== "):
        inner = line.strip("= ").strip()
        setting = {} if inner == "all runs" else dict(kv.split("=", 1) for kv in inner.split())
    elif line.startswith("test_frac_positive "):
        epochs = [int(e) for e in re.findall(r"epoch (\d+)", line)]
    elif line.startswith("weight ") and setting is not None:
        fields = re.sub(r" ± \S+|\[\d+\]", "", line).split()
        key = cell_key({**setting, "importance_weight": fields[1]})
        table[key] = {e: (v, 4) for e, v in zip(epochs, fields[2:])}
report("iwreport table has cells", p.returncode == 0 and table and len(epochs) == 3,
       f"rc={p.returncode} {p.stderr}\n{p.stdout[:600]}")
last_epoch = epochs[-1] if epochs else -1

settings = {tuple(kv for kv in k if kv[0] != "importance_weight") for k in table}
if want_settings is not None:
    report(f"store has {want_settings} setting(s) of the axes other than weight and seed", len(settings) == want_settings,
           f"iwreport table shows {len(settings)}: {sorted(settings)[:4]} ...")
if want_settings is not None and want_settings > 1:
    # a reader that merged the settings would print, per weight and epoch, the mean of the
    # settings' means (equal seeds per cell): that must differ from some cell by more than any
    # rounding here
    by_weight_epoch = {}
    for k, cells in table.items():
        for e, (v, _) in cells.items():
            by_weight_epoch.setdefault((dict(k)["importance_weight"], e), []).append(number(v))
    gap = max(np.nanmax(np.abs(np.array(vs) - np.nanmean(vs))) for vs in by_weight_epoch.values())
    report("merging the settings would change a mean by more than the rounding", gap > 0.002,
           f"largest gap between a cell and the mean of its weight's settings: {gap:.4f}")


# ---- the readers' outputs, parsed into cells ----
def parse_h5py_block(out):
    """lines "a=v b=w ...: epoch 1 0.190   epoch 5 0.062" """
    cells = {}
    for line in out.splitlines():
        m = re.match(r"^(\S+=.*?): (epoch .*)$", line)
        if m:
            key = cell_key(dict(kv.split("=", 1) for kv in m.group(1).split()))
            cells[key] = {int(e): (v, decimals(v)) for e, v in re.findall(r"epoch (\d+) (\S+)", m.group(2))}
    return cells


def parse_pandas(out, after=None):
    """a DataFrame printed with unsparsified index levels: "epoch  e1  e2", then the index names,
    then one row per cell (level values, then one value per epoch)."""
    lines = out.splitlines()
    if after is not None:
        lines = lines[next((i + 1 for i, l in enumerate(lines) if l.startswith(after)), len(lines)):]
    cells, eps, names = {}, None, None
    for line in lines:
        tokens = line.split()
        if eps is None:
            if tokens[:1] == ["epoch"]:
                eps = [int(t) for t in tokens[1:]]
        elif names is None:
            names = tokens
        elif len(tokens) == len(names) + len(eps):
            key = cell_key(dict(zip(names, tokens)))
            cells[key] = {e: (v, decimals(v)) for e, v in zip(eps, tokens[len(names):])}
    return cells


def parse_read_store(out):
    """"setting: a=v ..." (or "setting: all runs") blocks, header "weight epoch 0 epoch E runs",
    rows "w mean0 meanE n"."""
    cells, setting, eps = {}, None, []
    for line in out.splitlines():
        if line.startswith("setting: "):
            inner = line[len("setting: "):]
            setting = {} if inner == "all runs" else dict(kv.split("=", 1) for kv in inner.split())
        elif line.split()[:1] == ["weight"]:
            eps = [int(e) for e in re.findall(r"epoch (\d+)", line)]
        elif setting is not None and eps and len(line.split()) == len(eps) + 2:
            tokens = line.split()
            key = cell_key({**setting, "importance_weight": tokens[0]})
            cells[key] = {e: (v, decimals(v)) for e, v in zip(eps, tokens[1:-1])}
    return cells


def readme_block(heading):
    """The first ```python block after the line of README.md that starts with heading."""
    lines, found, inside, code = open(readme).read().splitlines(), False, False, []
    for line in lines:
        if not found:
            found = line.startswith(heading)
        elif not inside:
            inside = line.startswith("```python")
        elif line.startswith("```"):
            break
        else:
            code.append(line)
    return "\n".join(code) + "\n"


# Runs a reader as a user would, except for pandas' display options (every row, every level).
PANDAS = ("import pandas, runpy, sys; pandas.set_option('display.multi_sparse', False); "
          "pandas.set_option('display.max_rows', None); pandas.set_option('display.width', 10000); "
          "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")

with tempfile.TemporaryDirectory() as work:
    os.makedirs(os.path.join(work, "results"))
    os.symlink(os.path.abspath(store), os.path.join(work, STORE_LINK))
    for name, heading in (("README h5py block", "Reading it with h5py"), ("README xarray block", "With xarray")):
        code = readme_block(heading)
        with open(os.path.join(work, name.replace(" ", "_") + ".py"), "w") as f:
            f.write(code)
    readers = [
        ("README h5py block", [PY, "README_h5py_block.py"], parse_h5py_block),
        ("README xarray block", [PY, "-c", PANDAS, "README_xarray_block.py"], parse_pandas),
        ("docs/examples/read_store.py", [PY, os.path.join(examples, "read_store.py"), STORE_LINK], parse_read_store),
        ("docs/examples/read_xarray.py", [PY, "-c", PANDAS, os.path.join(examples, "read_xarray.py"), STORE_LINK],
         lambda out: parse_pandas(out, after="test_frac_positive, mean over seeds")),
    ]
    for name, command, parse in readers:
        p = subprocess.run(command, cwd=work, capture_output=True, text=True)
        if p.returncode != 0:
            report(f"{name} runs", False, p.stderr[-1500:])
            continue
        report(f"{name} runs without a warning", p.stderr == "", p.stderr[-1500:])
        cells = parse(p.stdout)
        missing = [k for k in table if k not in cells and not all(math.isnan(number(v)) for v, _ in table[k].values())]
        extra = [k for k in cells if k not in table]
        report(f"{name} prints iwreport's {len(table)} cells, each named by its setting and weight",
               cells and not missing and not extra,
               f"{len(cells)} cells printed; missing {missing[:3]}; not in the table {extra[:3]}\n{p.stdout[-800:]}")
        bad = []
        for k, printed in cells.items():
            if not printed:
                bad.append(f"{dict(k)}: no value printed")
            for e, (v, d) in printed.items():
                if k not in table or e not in table[k]:
                    if k in table:
                        bad.append(f"{dict(k)} epoch {e}: not in the table's epochs {sorted(table[k])}")
                    continue
                want, got = number(table[k][e][0]), number(v)
                tol = 0.5 * 10.0 ** -d + 0.5e-4 + 1e-6    # the reader's rounding + the table's
                if not (math.isnan(want) and math.isnan(got)) and not abs(want - got) <= tol:
                    bad.append(f"{dict(k)} epoch {e}: reader {v}, table {table[k][e][0]}")
        report(f"{name} means equal iwreport table's (no two settings merged)", cells and not bad, "\n".join(bad[:10]))

sys.exit(tap.failed)
