#!/usr/bin/python3
"""peer_torch_cnn.py — the peer figure for bench_cnn.c: the paper's CNN (conv3x3 64, 64, maxpool 2,
conv3x3 128, 128, 128, maxpool 2, no padding, dense 512, 128, 2, ReLU) in PyTorch 1.13 (CPU, one
thread), weighted cross-entropy (weights normalisation) and plain SGD, forward + backward + step on
random inputs. Prints ms per training example (mean wall, process CPU time, fastest single step) as
    "CNN 1x28x28 b16: <ms> ms/example  (cpu <ms> ms/example; best step <ms> ms/example; ...)"
for inputs 1x28x28 and 3x32x32 at batch 16 and 64 (the lines bench_cnn.c and bench/run_bench.sh read).

    /usr/bin/python3 bench/peer_torch_cnn.py [seconds per configuration, default 2]
"""
import os
import sys
import time

# torch.set_num_threads(1) does not reach the OpenBLAS that Debian's PyTorch calls for matrix
# products: one thread must be asked for before torch loads it.
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"

import torch
import torch.nn as nn


def cnn(channels, side):
    flat = ((side - 4) // 2 - 6) // 2
    return nn.Sequential(
        nn.Conv2d(channels, 64, 3), nn.ReLU(),
        nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3), nn.ReLU(),
        nn.Conv2d(128, 128, 3), nn.ReLU(),
        nn.Conv2d(128, 128, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(128 * flat * flat, 512), nn.ReLU(),
        nn.Linear(512, 128), nn.ReLU(),
        nn.Linear(128, 2))


def bench(channels, side, batch, seconds):
    torch.manual_seed(1)
    model = cnn(channels, side)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    n_batches = 16
    x = torch.rand(n_batches, batch, channels, side, side)
    y = torch.randint(0, 2, (n_batches, batch))
    w = torch.where(y == 1, 4.0, 1.0)

    def step(i):
        logits = model(x[i])
        per = nn.functional.cross_entropy(logits, y[i], reduction="none")
        loss = (per * w[i]).sum() / w[i].sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    for i in range(5):
        step(i % n_batches)
    steps = 0
    t0 = time.perf_counter()
    c0 = time.process_time()
    best = float("inf")
    while True:
        s0 = time.perf_counter()
        loss = step(steps % n_batches)
        s1 = time.perf_counter()
        best = min(best, s1 - s0)
        steps += 1
        t = s1 - t0
        if t >= seconds and steps >= 3:
            break
    ms = t * 1e3 / (steps * batch)
    cpu_ms = (time.process_time() - c0) * 1e3 / (steps * batch)
    print(f"CNN {channels}x{side}x{side} b{batch}: {ms:.4f} ms/example  (cpu {cpu_ms:.4f} ms/example; "
          f"best step {best * 1e3 / batch:.4f} ms/example; {steps} steps, "
          f"last loss {loss.item():.4f})", flush=True)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    torch.set_num_threads(1)
    print(f"peer_torch_cnn: PyTorch {torch.__version__}, the paper's CNN, weighted CE + SGD, "
          f"{torch.get_num_threads()} thread(s), mkldnn {torch.backends.mkldnn.is_available()}",
          flush=True)
    for channels, side in ((1, 28), (3, 32)):
        for batch in (16, 64):
            bench(channels, side, batch, seconds)


if __name__ == "__main__":
    main()
