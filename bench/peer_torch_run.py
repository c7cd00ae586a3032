#!/usr/bin/python3
"""peer_torch_run.py — the peer figure for bench_run.c: the same grid point as a sweep run, in
PyTorch 1.13 (CPU, one thread). Fashion-MNIST T-shirt/top (0) vs Shirt (6), the first 300 training
images of each class, the first 1,000 test images of each, the 8,000 test images of the other
classes, 1,000 uniform-noise images, all normalised by the training set's mean and std; weight 4 on
the positive class. Then what src/run/run.c does: evaluate (training set with its weighted loss,
test set, out-of-class probe, noise probe: accuracy and fraction predicted positive) before
training, one epoch of plain SGD at batch 16 (lr 0.01, weighted cross-entropy normalised by the
batch's weights, a fresh permutation), and evaluate again; evaluation in eval mode without autograd
at batch 64 (CNN) and 256 (MLP), as the engine. Loading is not timed. Prints
    "CNN run: <ms> ms/run  (cpu <ms> ms/run; best <ms> ms/run; ...)"
and the same for the MLP 784-512-512-2 (the lines bench/run_bench.sh pairs with bench_run's).

A run is long enough (seconds) that it needs no warm-up run.

    /usr/bin/python3 bench/peer_torch_run.py [runs per model, default 1]
"""
import gzip
import os
import sys
import time

os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"


def idx(name):
    for path in (os.path.join(DATA, name + ".gz"), os.path.join(DATA, name)):
        if os.path.exists(path):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rb") as f:
                raw = f.read()
            dims = raw[3]
            shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
            return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    raise FileNotFoundError(f"{name}(.gz) under {DATA}")


def load():
    xtr, ytr = idx("train-images-idx3-ubyte"), idx("train-labels-idx1-ubyte")
    xte, yte = idx("t10k-images-idx3-ubyte"), idx("t10k-labels-idx1-ubyte")
    neg, pos = 0, 6
    train = np.concatenate([np.flatnonzero(ytr == neg)[:300], np.flatnonzero(ytr == pos)[:300]])
    train.sort()
    test = np.concatenate([np.flatnonzero(yte == neg)[:1000], np.flatnonzero(yte == pos)[:1000]])
    test.sort()
    other = np.flatnonzero((yte != neg) & (yte != pos))
    x_train = xtr[train].astype(np.float32)
    mean, std = x_train.mean(), x_train.std()
    noise = np.random.default_rng(0).uniform(0, 255, (1000, 28, 28)).astype(np.float32)

    def norm(x):
        return torch.from_numpy(((x.astype(np.float32) - mean) / std).reshape(-1, 1, 28, 28).copy())

    return {"train": (norm(x_train), torch.from_numpy((ytr[train] == pos).astype(np.int64))),
            "test": (norm(xte[test]), torch.from_numpy((yte[test] == pos).astype(np.int64))),
            "other": (norm(xte[other]), None), "noise": (norm(noise), None)}


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 64, 3), nn.ReLU(),
        nn.Conv2d(64, 64, 3), nn.MaxPool2d(2), nn.ReLU(),
        nn.Conv2d(64, 128, 3), nn.ReLU(),
        nn.Conv2d(128, 128, 3), nn.ReLU(),
        nn.Conv2d(128, 128, 3), nn.MaxPool2d(2), nn.ReLU(),
        nn.Flatten(), nn.Linear(128 * 3 * 3, 512), nn.ReLU(), nn.Linear(512, 128), nn.ReLU(), nn.Linear(128, 2))


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                         nn.Linear(512, 2))


def evaluate(model, data, batch, weight):
    """The metrics run.c records: weighted training loss, accuracies, fractions predicted positive."""
    model.eval()
    out = {}
    with torch.no_grad():
        for name, (x, y) in data.items():
            positive = correct = 0
            loss = 0.0
            for k in range(0, len(x), batch):
                logits = model(x[k:k + batch])
                pred = logits.argmax(1)
                positive += int(pred.sum())
                if y is not None:
                    yb = y[k:k + batch]
                    correct += int((pred == yb).sum())
                    if name == "train":
                        w = torch.where(yb == 1, weight, 1.0)
                        loss += float((nn.functional.cross_entropy(logits, yb, reduction="none") * w).sum())
            out[name] = (positive / len(x), correct / len(x), loss)
    model.train()
    return out


def run(make, data, eval_batch, seed):
    torch.manual_seed(seed)
    model = make()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = data["train"]
    weight = 4.0
    evaluate(model, data, eval_batch, weight)
    order = torch.randperm(len(x))
    for k in range(0, len(x), 16):
        i = order[k:k + 16]
        w = torch.where(y[i] == 1, weight, 1.0)
        per = nn.functional.cross_entropy(model(x[i]), y[i], reduction="none")
        loss = (per * w).sum() / w.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return evaluate(model, data, eval_batch, weight)


def bench(label, make, data, eval_batch, runs):
    walls, cpus = [], []
    for r in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        run(make, data, eval_batch, r)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    print(f"{label} run: {1e3 * sum(walls) / runs:.1f} ms/run  (cpu {1e3 * sum(cpus) / runs:.1f} ms/run; "
          f"best {1e3 * min(walls):.1f} ms/run; {runs} runs)", flush=True)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    torch.set_num_threads(1)
    print(f"peer_torch_run: PyTorch {torch.__version__}, one sweep run (600 training examples, 1 epoch, "
          f"evaluation before and after), 1 thread, mkldnn {torch.backends.mkldnn.is_available()}", flush=True)
    try:
        data = load()
    except FileNotFoundError as e:
        print(f"CNN run: skipped ({e})")
        return
    bench("CNN", cnn, data, 64, runs)
    bench("MLP", mlp, data, 256, runs)


if __name__ == "__main__":
    main()
