#!/usr/bin/python3
"""peer_torch_cnn.py — the peer figures for bench_cnn.c, in PyTorch 1.13 (CPU, one thread):
  - the paper's CNN (conv3x3 64, 64, maxpool 2, conv3x3 128, 128, 128, maxpool 2, no padding,
    dense 512, 128, 2, ReLU): a training step (weighted cross-entropy normalised by the batch's
    weights, plain SGD) on 1x28x28 and 3x32x32 at batch 16 and 64, and the evaluation forward
    (eval mode, no autograd) at batch 64;
  - the engine's ResNet (model_resnet.c: conv3x3 64 + ReLU, three stages of two basic blocks of
    64, 128, 256 channels, the first block of stages 2 and 3 with stride 2 and a 1x1 projection,
    global average pooling, dense 2; no batch norm), a training step on 1x28x28 at batch 16.
Random inputs. Prints ms per example (mean wall, process CPU time, fastest single step) as
    "CNN 1x28x28 b16: <ms> ms/example  (cpu <ms> ms/example; best step <ms> ms/example; ...)"
(the lines bench/run_bench.sh pairs with bench_cnn's), after a line naming oneDNN's instruction set
(ONEDNN_MAX_CPU_ISA=AVX2 limits it, as run_bench.sh does for the engine's AVX2 path).

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


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = nn.Conv2d(cin, cout, 3, stride, 1)
        self.b = nn.Conv2d(cout, cout, 3, 1, 1)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.b(torch.relu(self.a(x)))
        return torch.relu(y + (self.shortcut(x) if self.shortcut is not None else x))


def resnet(channels):
    layers = [nn.Conv2d(channels, 64, 3, 1, 1), nn.ReLU()]
    cin = 64
    for stage, cout in enumerate((64, 128, 256)):
        for block in range(2):
            layers.append(BasicBlock(cin, cout, 2 if stage > 0 and block == 0 else 1))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, 2)]
    return nn.Sequential(*layers)


def bench(channels, side, batch, seconds, kind="CNN", evaluation=False):
    torch.manual_seed(1)
    model = cnn(channels, side) if kind == "CNN" else resnet(channels)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    if evaluation:
        model.eval()
    n_batches = 16
    x = torch.rand(n_batches, batch, channels, side, side)
    y = torch.randint(0, 2, (n_batches, batch))
    w = torch.where(y == 1, 4.0, 1.0)

    def step(i):
        if evaluation:
            with torch.no_grad():
                return model(x[i])[0, 0]
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
    label = f"{kind} {channels}x{side}x{side} {'eval ' if evaluation else ''}b{batch}"
    print(f"{label}: {ms:.4f} ms/example  (cpu {cpu_ms:.4f} ms/example; "
          f"best step {best * 1e3 / batch:.4f} ms/example; {steps} steps, "
          f"last loss {loss.item():.4f})", flush=True)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    torch.set_num_threads(1)
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA", "") or "the CPU's best"
    print(f"peer_torch_cnn: PyTorch {torch.__version__}, the paper's CNN and the ResNet, weighted CE + SGD, "
          f"{torch.get_num_threads()} thread(s), mkldnn {torch.backends.mkldnn.is_available()}, "
          f"oneDNN instruction set: {isa}", flush=True)
    for channels, side in ((1, 28), (3, 32)):
        for batch in (16, 64):
            bench(channels, side, batch, seconds)
    for channels, side in ((1, 28), (3, 32)):
        bench(channels, side, 64, seconds, evaluation=True)
    bench(1, 28, 16, seconds, kind="ResNet")


if __name__ == "__main__":
    main()
