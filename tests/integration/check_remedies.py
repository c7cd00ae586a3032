#!/usr/bin/python3
"""check_remedies.py — checks the issue-11 additions of a store (the loss and weighting axes, the
per-class and validation metrics, /logits, /runs/train_class_count) and iwreport's stop, effect
and adjust against numpy computations from h5py:

    check_remedies.py new IWREPORT STORE        a store made by tests/sweeps/remedies_small.yaml
    check_remedies.py effect IWREPORT STORE N   only `iwreport effect` (N test examples), e.g. on a
                                                store with NaN epochs or an old store

Expectations come from the store itself: accuracies recomputed from the stored logits and test
labels; early stopping by argmin/argmax over the stored validation metrics; the effect's bootstrap
recomputed with the same resampling indices (xoshiro256** seeded by splitmix64, as src/common/rng.c,
reimplemented here) and numpy.percentile; post-hoc adjustment from the logits and class counts.
Prints "ok - TAG: case" / "not ok - TAG: case" lines (with "# why" above a failure).
"""
import csv
import io
import subprocess
import sys

import h5py
import re

import numpy as np
import yaml

failed = 0
M64 = (1 << 64) - 1
AXES = ("importance_weight", "l2", "dropout", "batchnorm", "seed", "sampling", "loss", "poly_alpha",
        "weight_exponent", "reweight_from", "normalize")
STREAM_BOOTSTRAP = 9   # IW_STREAM_BOOTSTRAP (include/iw/rng.h)


def report(tag, name, problems):
    global failed
    for p in problems[:12]:
        print("# " + str(p))
    print(("not ok - " if problems else "ok - ") + tag + ": " + name)
    failed |= bool(problems)


def run(iwreport, *args):
    p = subprocess.run([iwreport, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def close(a, b, tol):
    return abs(a - b) <= tol * max(1.0, abs(b))


# ---- the generator of src/common/rng.c ----
def splitmix(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return x, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Rng:
    def __init__(self, seed, stream):
        x, mixed = splitmix(seed & M64)
        x = mixed ^ ((stream * 0xD1B54A32D192ED03) & M64)
        self.s = []
        for _ in range(4):
            x, v = splitmix(x)
            self.s.append(v)
        if not any(self.s):
            self.s[0] = 1

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, n):
        m = self.next() * n
        if (m & M64) < n:
            threshold = ((1 << 64) - n) % n
            while (m & M64) < threshold:
                m = self.next() * n
        return m >> 64


# ---- reading a store ----
def load(path):
    with h5py.File(path, "r") as f:
        st = {"status": f["runs/status"][:], "epoch": f["epoch"][:]}
        st["axes"] = [a for a in AXES if a in f["runs"]]
        st["grid"] = {a: f["runs"][a][:] for a in st["axes"]}
        st["labels"] = {}
        st["flagged"] = set()
        for a in st["axes"]:
            meanings = f["runs"][a].attrs.get("flag_meanings")
            if meanings is not None:
                st["flagged"].add(a)
            v = st["grid"][a]
            if meanings is not None:
                words = meanings.split()
                st["labels"][a] = [words[int(x)] for x in v]
            elif a in ("seed", "reweight_from"):
                st["labels"][a] = ["%d" % x for x in v]
            else:
                st["labels"][a] = ["%.6g" % x for x in v]
        st["metrics"] = {m: f["metrics"][m][:] for m in f["metrics"]}
        st["logits"] = f["logits"][:] if "logits" in f else None
        st["logit_epoch"] = f["logit_epoch"][:] if "logit_epoch" in f else None
        st["test_labels"] = f["test_labels"][:] if "test_labels" in f else None
        st["counts"] = f["runs/train_class_count"][:] if "train_class_count" in f["runs"] else None
        st["spec"] = yaml.safe_load(f["spec"][()].decode() if isinstance(f["spec"][()], bytes) else f["spec"][()])
    st["R"] = len(st["status"])
    st["counted"] = np.isin(st["status"], [1, 2])
    return st


def group_key(st, r):
    return tuple(st["labels"][a][r] for a in st["axes"] if a not in ("importance_weight", "seed"))


def label_key(st, r):
    """The values in a text block's heading ("== loss=poly weight_exponent=2 =="): the axes other
    than weight and seed that have more than one value, as the report prints them."""
    return tuple(st["labels"][a][r] for a in st["axes"]
                 if a not in ("importance_weight", "seed") and len(set(st["labels"][a])) > 1)


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


# ---- metrics against the logits ----
def check_metrics(tag, st):
    problems = []
    m, z, y, E = st["metrics"], st["logits"], st["test_labels"], st["epoch"]
    if z is None:
        report(tag, "metrics from the stored logits", ["no /logits"])
        return
    if sorted(np.unique(y).tolist()) != [0, 1]:
        problems.append("test labels %s" % np.unique(y))
    for r in np.flatnonzero(st["counted"]):
        for s, e in enumerate(st["logit_epoch"]):
            pred = (z[r, s, :, 1] > z[r, s, :, 0]).astype(int)
            want = {"test_acc": np.mean(pred == y), "test_frac_positive": np.mean(pred),
                    "test_acc_negative": np.mean(pred[y == 0] == 0), "test_acc_positive": np.mean(pred[y == 1] == 1)}
            want["test_balanced_acc"] = (want["test_acc_negative"] + want["test_acc_positive"]) / 2
            for name, v in want.items():
                got = float(m[name][r, e])
                if not close(got, v, 1e-6):
                    problems.append("run %d epoch %d: %s %.9g, from the logits %.9g" % (r, e, name, got, v))
    for split in ("test", "val"):
        b = m[split + "_balanced_acc"][st["counted"]]
        want = (m[split + "_acc_negative"][st["counted"]] + m[split + "_acc_positive"][st["counted"]]) / 2
        if not np.all(np.isfinite(b)) or not np.allclose(b, want, rtol=1e-6, atol=1e-7):
            problems.append("%s_balanced_acc is not the mean of the per-class accuracies" % split)
    for name in ("val_loss", "val_loss_unweighted", "val_acc"):
        if not np.all(np.isfinite(m[name][st["counted"]])):
            problems.append("%s not finite for every epoch of every done run" % name)
    report(tag, "per-class and balanced accuracies equal numpy on the stored logits and labels", problems)


def check_schema(tag, st, path):
    problems = []
    d = st["spec"]["data"]
    val = d.get("val_per_class", 0)
    val = val if isinstance(val, list) else [val, val]
    train = d["train_per_class"] if isinstance(d["train_per_class"], list) else [d["train_per_class"]] * 2
    want = np.array([train[0] - val[0], train[1] - val[1]])
    if st["counts"] is None or not np.all(st["counts"][st["counted"]] == want):
        problems.append("train_class_count %s, expected %s" % (None if st["counts"] is None else st["counts"][:2], want))
    with h5py.File(path, "r") as f:
        loss = f["runs/loss"]
        if loss.dtype != np.int8 or loss.attrs.get("flag_meanings") != "cross-entropy poly ldam logit-adjusted" or \
                list(loss.attrs.get("flag_values", [])) != [0, 1, 2, 3]:
            problems.append("runs/loss: %s %r" % (loss.dtype, dict(loss.attrs)))
        z = f["logits"]
        if [z.dims[i][0].name for i in range(4)] != ["/run", "/logit_epoch", "/test_example", "/class"]:
            problems.append("logits scales %s" % [z.dims[i][0].name for i in range(4)])
        if list(f["logit_epoch"][:]) != st["spec"]["record"]["logit_epochs"]:
            problems.append("logit_epoch %s" % f["logit_epoch"][:])
        for name in ("logits", "test_labels", "logit_epoch", "test_example", "class", "runs/train_class_count", "runs/loss"):
            if not f[name].attrs.get("description"):
                problems.append("%s has no description" % name)
    import xarray as xr
    try:
        root = xr.open_dataset(path, engine="h5netcdf")
        if root["logits"].dims != ("run", "logit_epoch", "test_example", "class") or root["test_labels"].dims != ("test_example",):
            problems.append("xarray: logits dims %s" % (root["logits"].dims,))
        runs = xr.open_dataset(path, engine="h5netcdf", group="runs")
        if runs["loss"].dims != ("run",) or runs["train_class_count"].dims != ("run", "class"):
            problems.append("xarray: runs dims")
        root.close()
        runs.close()
    except Exception as e:  # a failure to open is what this case reports
        problems.append("xarray: %s: %s" % (type(e).__name__, e))
    report(tag, "loss axis with flag attributes, class counts, /logits scales, xarray dims", problems)


def group_indexer(st):
    """The reader's group number of a run: groups numbered in grid order (mixed radix of each
    other axis's values in the reader's order: named ones (enums) as they first appear, others sorted)."""
    group_axes = [a for a in st["axes"] if a not in ("importance_weight", "seed")]
    order = {}
    for a in group_axes:
        v = st["grid"][a].tolist()
        named = set(st["labels"][a]) - {"false", "true"} and a in st["flagged"]
        order[a] = list(dict.fromkeys(v)) if named else sorted(set(v))
    def group_index(r):
        i = 0
        for a in group_axes:
            i = i * len(order[a]) + order[a].index(st["grid"][a][r])
        return i
    return group_index


# ---- iwreport stop ----
def stop_oracle(st, criterion, by_loss):
    m, E = st["metrics"], st["epoch"]
    out = {}
    for r in range(st["R"]):
        if not st["counted"][r]:
            continue
        c = m[criterion][r]
        cand = [e for e in range(len(E)) if E[e] >= 1 and np.isfinite(c[e])]
        stop = None
        for e in cand:   # the earliest best
            if stop is None or (c[e] < c[stop] if by_loss else c[e] > c[stop]):
                stop = e
        fin = [e for e in range(len(E)) if np.isfinite(m["test_acc"][r, e])]
        last = fin[-1] if fin else None
        out[r] = (stop, last)
    return out


def check_stop(tag, st, iwreport, path):
    for by, criterion, by_loss in (("loss", "val_loss", True), ("balanced-acc", "val_balanced_acc", False)):
        problems = []
        rc, text, err = run(iwreport, "stop", path, "--by", by, "--csv")
        if rc != 0:
            report(tag, "stop --by %s --csv" % by, ["rc %d: %s" % (rc, err)])
            continue
        rows = {int(x["run"]): x for x in csv_rows(text)}
        want = stop_oracle(st, criterion, by_loss)
        m, E = st["metrics"], st["epoch"]
        for r, (stop, last) in want.items():
            row = rows.get(r)
            if row is None or row["criterion"] != criterion:
                problems.append("run %d missing or wrong criterion" % r)
                continue
            if str(E[stop]) != row["stop_epoch"] or str(E[last]) != row["last_epoch"]:
                problems.append("run %d: stop %s last %s, expected %d %d" % (r, row["stop_epoch"], row["last_epoch"], E[stop], E[last]))
                continue
            for name in ("test_balanced_acc", "test_acc", "test_frac_positive"):
                if not close(float(row[name + "_stop"]), float(m[name][r, stop]), 1e-6) or \
                        not close(float(row[name + "_last"]), float(m[name][r, last]), 1e-6):
                    problems.append("run %d: %s" % (r, name))
            if not close(float(row[criterion + "_at_stop"]), float(m[criterion][r, stop]), 1e-6):
                problems.append("run %d: criterion value" % r)
        stops = [E[s] for s, _ in want.values()]
        if len(set(stops)) < 2:
            problems.append("every run stops at the same epoch %s: the case cannot tell picks apart" % stops[:3])
        report(tag, "stop --by %s --csv: the epoch and test metrics numpy picks" % by, problems)
    # text: per setting, the mean ± std of the stop epoch
    problems = []
    rc, text, err = run(iwreport, "stop", path)
    want = stop_oracle(st, "val_loss", True)
    blocks = text.split("\n== ")[1:]
    groups = {}
    for r in want:
        groups.setdefault(label_key(st, r), {}).setdefault(st["labels"]["importance_weight"][r], []).append(st["epoch"][want[r][0]])
    if rc != 0 or len(blocks) != len(groups):
        problems.append("rc %d, %d blocks for %d settings: %s" % (rc, len(blocks), len(groups), err))
    checked = 0
    for block in blocks:
        label = block.split(" ==")[0]
        key = tuple(part.split("=", 1)[1] for part in label.split()) if "=" in label else ()
        if key not in groups:
            problems.append("block '%s' names no setting of the store (%s)" % (label, list(groups)[:4]))
        for w, epochs in groups.get(key, {}).items():
            checked += 1
            wl = "1/%d" % round(1 / float(w)) if float(w) < 1 else w
            cell = "%.1f ± %.1f" % (np.mean(epochs), np.std(epochs, ddof=1) if len(epochs) > 1 else 0.0)
            line = [x for x in block.splitlines() if x.startswith("weight %s " % wl)]
            if not line or cell not in line[0]:
                problems.append("%s weight %s: expected '%s' in %s" % (label, wl, cell, line[:1]))
    if checked == 0:
        problems.append("no setting's line was checked")
    report(tag, "stop: per-setting mean ± std of the stop epoch (%d settings)" % checked, problems)
    # --interval: each metric cell is "mean [lo, hi]", the percentile bootstrap of the mean over the
    # seeds with the same generator and stream (report.h: cell = (group * n_weights + w) * 6 + column)
    problems = []
    B, seed = 150, 5
    rc, text, err = run(iwreport, "stop", path, "--interval", "--resamples", str(B), "--seed", str(seed))
    weights = sorted(set(st["grid"]["importance_weight"].tolist()))
    group_index = group_indexer(st)
    m = st["metrics"]
    columns = [(name, at) for name in ("test_balanced_acc", "test_acc", "test_frac_positive") for at in (0, 1)]
    cells_seen = widths = 0
    if rc != 0 or "%d resamples, seed %d" % (B, seed) not in text:
        problems.append("rc %d, preamble without '%d resamples, seed %d': %s" % (rc, B, seed, err or text[:300]))
    by_block = {}
    for block in text.split("\n== ")[1:]:
        label = block.split(" ==")[0]
        by_block[tuple(part.split("=", 1)[1] for part in label.split()) if "=" in label else ()] = block
    settings = {}
    for r in want:
        settings.setdefault((label_key(st, r), st["grid"]["importance_weight"][r]), []).append(r)
    for (key, wv), runs_s in settings.items():
        block = by_block.get(key)
        wl = "1/%d" % round(1 / wv) if wv < 1 else st["labels"]["importance_weight"][runs_s[0]]
        line = [x for x in (block or "").splitlines() if x.startswith("weight %s " % wl)]
        got = re.findall(r"(-?[0-9.]+) \[(-?[0-9.]+), (-?[0-9.]+)\]", line[0]) if line else []
        if len(got) != len(columns):
            problems.append("%s weight %s: %d interval cells in %s" % (key, wl, len(got), line[:1]))
            continue
        g, wi = group_index(runs_s[0]), weights.index(wv)
        for c, (name, at_last) in enumerate(columns):
            d = [float(m[name][r, want[r][1] if at_last else want[r][0]]) for r in runs_s]
            lo, hi = percentile_bootstrap(d, B, seed, STREAM_BOOTSTRAP + 256 * ((g * len(weights) + wi) * 6 + c))
            exp = ("%.4f" % (sum(d) / len(d)), "%.4f" % lo, "%.4f" % hi)
            if tuple(got[c]) != exp:
                problems.append("%s weight %s %s@%s: %s, expected %s" % (key, wl, name, "last" if at_last else "stop", got[c], exp))
            cells_seen += 1
            widths += hi - lo > 1e-4
    if cells_seen == 0 or widths == 0:
        problems.append("%d cells, %d with width: the case cannot tell resampling apart" % (cells_seen, widths))
    report(tag, "stop --interval: mean [lo, hi] of each metric equals numpy's bootstrap (%d resamples, same indices)" % B, problems)


# ---- iwreport effect ----
def elogit(p, N):
    k = np.clip(np.floor(p * N + 0.5), 0, N)
    return np.log((k + 0.5) / (N - k + 0.5))


def percentile_bootstrap(d, B, seed, stream, level=0.95):
    rng = Rng(seed, stream)
    n = len(d)
    means = np.empty(B)
    for b in range(B):
        s = 0.0
        for _ in range(n):
            s += d[rng.below(n)]
        means[b] = s / n
    return np.percentile(means, [100 * (1 - level) / 2, 100 * (1 + level) / 2])


def effect_oracle(st, N, B, seed, T):
    """{(group key, weight, epoch): (n, mean, lo, hi, fades_mean, fades_interval)}"""
    frac, E = st["metrics"]["test_frac_positive"], st["epoch"]
    w = st["grid"]["importance_weight"]
    seeds = st["grid"]["seed"] if "seed" in st["grid"] else np.zeros(st["R"])
    weights = sorted(set(w.tolist()))
    keys = []
    for r in range(st["R"]):   # groups numbered in grid order (mixed radix of the sorted values)
        k = group_key(st, r)
        if k not in keys:
            keys.append(k)
    group_index = group_indexer(st)
    one = {}
    for r in range(st["R"]):
        if w[r] == 1.0 and st["counted"][r]:
            one.setdefault((group_key(st, r), seeds[r]), r)
    out = {}
    for key in keys:
        runs_g = [r for r in range(st["R"]) if group_key(st, r) == key]
        g = group_index(runs_g[0])
        for wi, wv in enumerate(weights):
            if wv == 1.0:
                continue
            pairs = [(r, one[(key, seeds[r])]) for r in runs_g if w[r] == wv and st["counted"][r] and (key, seeds[r]) in one]
            cells = []
            for e in range(len(E)):
                d = [elogit(float(frac[r, e]), N) - elogit(float(frac[o, e]), N) for r, o in pairs
                     if np.isfinite(frac[r, e]) and np.isfinite(frac[o, e])]
                if not d:
                    cells.append((0, None, None, None))
                    continue
                cell = (g * len(weights) + wi) * len(E) + e
                lo, hi = percentile_bootstrap(d, B, seed, STREAM_BOOTSTRAP + 256 * cell)
                cells.append((len(d), sum(d) / len(d), lo, hi))
            def fade(by_interval):
                ans, seen = None, False
                for e, (n, mean, lo, hi) in enumerate(cells):
                    if n == 0:
                        continue
                    seen = True
                    below = (lo > -T and hi < T) if by_interval else abs(mean) < T
                    if not below:
                        ans = None
                    elif ans is None:
                        ans = int(E[e])
                return "" if not seen else ("never" if ans is None else str(ans))
            fm, fi = fade(False), fade(True)
            for e, c in enumerate(cells):
                out[(key, wv, int(E[e]))] = c + (fm, fi)
    return out


def check_effect(tag, st, iwreport, path, N, B=200, seed=7, T=0.2):
    problems = []
    rc, text, err = run(iwreport, "effect", path, "--csv", "--resamples", str(B), "--seed", str(seed), "--threshold", str(T))
    if rc != 0:
        report(tag, "effect --csv", ["rc %d: %s" % (rc, err)])
        return
    want = effect_oracle(st, N, B, seed, T)
    rows = csv_rows(text)
    group_axes = [a for a in st["axes"] if a not in ("importance_weight", "seed")]
    seen = set()
    evaluated = 0
    for row in rows:
        key = (tuple(row[a] for a in group_axes), float(row["importance_weight"]), int(row["epoch"]))
        seen.add(key)
        if key not in want:
            problems.append("unexpected row %s" % (key,))
            continue
        n, mean, lo, hi, fm, fi = want[key]
        if int(row["seeds"]) != n or row["fades_mean"] != fm or row["fades_interval"] != fi or \
                row["resamples"] != str(B) or row["seed"] != str(seed):
            problems.append("%s: seeds %s fades %s/%s, expected %d %s/%s" % (key, row["seeds"], row["fades_mean"],
                                                                             row["fades_interval"], n, fm, fi))
        if n == 0:
            if row["shift"] or row["lo"] or row["hi"]:
                problems.append("%s: values where no seed has one" % (key,))
            continue
        evaluated += 1
        for name, v in (("shift", mean), ("lo", lo), ("hi", hi)):
            if not close(float(row[name]), v, 1e-9):
                problems.append("%s: %s %s, numpy %.12g" % (key, name, row[name], v))
    if seen != set(want):
        problems.append("rows missing: %s" % sorted(set(want) - seen)[:3])
    spread = [v[3] - v[2] for v in want.values() if v[0] > 1]
    if not spread or max(spread) <= 0:
        problems.append("no interval with width: the case cannot tell resampling apart")
    report(tag, "effect --csv: shifts, bootstrap intervals (%d resamples, same indices) and fading equal numpy's "
           "(%d cells with values)" % (B, evaluated), problems)
    rc, text, err = run(iwreport, "effect", path, "--resamples", str(B), "--seed", str(seed))
    ok = rc == 0 and ("%d resamples, seed %d" % (B, seed)) in text and ("N = %d test examples" % N) in text
    report(tag, "effect text names the resamples, the seed and N", [] if ok else ["rc %d: %s%s" % (rc, text[:300], err)])


# ---- iwreport adjust ----
def check_adjust(tag, st, iwreport, path):
    for tau in (1.0, 0.0, 2.5):
        problems = []
        rc, text, err = run(iwreport, "adjust", path, "--tau", str(tau), "--csv")
        if rc != 0:
            report(tag, "adjust --tau %g" % tau, ["rc %d: %s" % (rc, err)])
            continue
        y = st["test_labels"]
        moved = 0
        for row in csv_rows(text):
            r, e = int(row["run"]), int(row["epoch"])
            if not st["counted"][r]:
                continue
            s = list(st["logit_epoch"]).index(e)
            z = st["logits"][r, s].astype(np.float64)
            n0, n1 = st["counts"][r]
            for prefix, shift in (("", 0.0), ("adjusted_", -tau * np.log(n1 / n0))):
                pred = (z[:, 1] - z[:, 0] + shift > 0).astype(int)
                want = {"acc": np.mean(pred == y), "frac_positive": np.mean(pred),
                        "balanced_acc": (np.mean(pred[y == 0] == 0) + np.mean(pred[y == 1] == 1)) / 2}
                for name, v in want.items():
                    if not close(float(row[prefix + name]), v, 1e-9):
                        problems.append("run %d epoch %d: %s%s %s, numpy %.9g" % (r, e, prefix, name, row[prefix + name], v))
            moved += row["frac_positive"] != row["adjusted_frac_positive"]
        if tau == 0 and moved:
            problems.append("tau 0 changed %d predictions" % moved)
        if tau > 0 and not moved:
            problems.append("tau %g changed no run's predictions: the case cannot fail" % tau)
        report(tag, "adjust --tau %g --csv: raw and adjusted metrics equal numpy's" % tau, problems)


def main():
    mode, iwreport, path = sys.argv[1], sys.argv[2], sys.argv[3]
    st = load(path)
    if mode == "new":
        check_schema("new", st, path)
        check_metrics("new", st)
        check_stop("new", st, iwreport, path)
        check_effect("new", st, iwreport, path, len(st["test_labels"]))
        check_adjust("new", st, iwreport, path)
    elif mode == "effect":
        check_effect(sys.argv[5] if len(sys.argv) > 5 else "effect", st, iwreport, path, int(sys.argv[4]))
    else:
        raise SystemExit("usage: check_remedies.py new|effect IWREPORT STORE [N TAG]")
    sys.exit(failed)


main()
