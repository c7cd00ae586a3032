#!/usr/bin/python3
"""peer_torch_mlp.py — the peer figure for bench_mlp.c: the same MLP 784-512-512-2 in PyTorch
(CPU, one thread), weighted cross-entropy (weights normalisation, as the engine's default) and plain
SGD, forward + backward + step on random 28x28 inputs. Prints ms per training example at batch 16
and 64 as "MLP b<B>: <ms> ms/example", the lines bench/run_bench.sh reads.

    /usr/bin/python3 bench/peer_torch_mlp.py [seconds per batch size, default 2]

Debian's PyTorch does its matrix products through the system OpenBLAS (the same library as the
engine); the script prints the kernel that library picked, which OPENBLAS_CORETYPE in the shared
environment sets for both processes.
"""
import ctypes
import os
import sys
import time

# torch.set_num_threads(1) does not reach the OpenBLAS that Debian's PyTorch calls for matrix
# products (it starts one thread per core); this does, and must come before torch is imported.
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import torch  # noqa: E402


def openblas_core():
    """The kernel of the OpenBLAS this process loaded (Debian's PyTorch calls BLAS through it)."""
    torch.ones(4, 4) @ torch.ones(4, 4)  # make sure the BLAS library is loaded
    with open("/proc/self/maps") as maps:
        libs = sorted({l.split()[-1] for l in maps if "libopenblas" in l})
    if not libs:
        return "none (PyTorch does not use OpenBLAS here)"
    lib = ctypes.CDLL(libs[0])
    lib.openblas_get_corename.restype = ctypes.c_char_p
    return f"{lib.openblas_get_corename().decode()}, {lib.openblas_get_num_threads()} thread(s)"


def bench(batch, seconds):
    torch.manual_seed(1)
    model = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(784, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    n_batches = 64
    x = torch.rand(n_batches, batch, 1, 28, 28)
    y = torch.randint(0, 2, (n_batches, batch))
    w = torch.where(y == 1, 4.0, 1.0)

    def step(i):
        logits = model(x[i])
        per = torch.nn.functional.cross_entropy(logits, y[i], reduction="none")
        loss = (per * w[i]).sum() / w[i].sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    for i in range(20):
        step(i % n_batches)
    steps = 0
    t0, c0 = time.perf_counter(), time.process_time()
    while True:
        for _ in range(50):
            loss = step(steps % n_batches)
            steps += 1
        t = time.perf_counter() - t0
        if t >= seconds:
            break
    ms = t * 1e3 / (steps * batch)
    cpu_ms = (time.process_time() - c0) * 1e3 / (steps * batch)
    print(f"MLP b{batch}: {ms:.4f} ms/example  (cpu {cpu_ms:.4f} ms/example, {steps} steps, "
          f"last loss {loss.item():.4f})")


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    torch.set_num_threads(1)
    print(f"peer_torch_mlp: PyTorch {torch.__version__}, MLP 784-512-512-2, weighted CE + SGD, "
          f"{torch.get_num_threads()} thread(s)")
    print(f"OpenBLAS kernel seen by PyTorch: {openblas_core()}")
    bench(16, seconds)
    bench(64, seconds)


if __name__ == "__main__":
    main()
