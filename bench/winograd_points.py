#!/usr/bin/python3
"""winograd_points.py — how the interpolation points of the engine's Winograd F(4x4, 3x3) were chosen
(src/engine/conv_winograd4.c), and the matrices they give.

For each candidate set of points it builds F(m, 3)'s matrices B^T, G, A^T with the Toom-Cook
construction (exact rational arithmetic; the point at infinity is always added), checks that
A^T [(G g) * (B^T d)] equals the correlation of d with g exactly for random integer data, then
measures the float32 error of the 2-D algorithm on a layer: 2,000 random 6x6 input patches of 64
channels (N(0, 1)), 64 filters (N(0, 1/(9*64))), the input transform, the 36 channel sums and the
output transform in float32, the weight transform in float64 rounded once (as the engine does),
against the direct correlation in float64. It prints the largest error and the root mean square
error, each relative to the largest / the rms output, for F(2x2) (the training tile), Lavin &
Gray's F(4x4) points 0, 1, -1, 2, -2 and the others, then the chosen set's matrices.

Reference: Barabasz, Anderson, Soodhalter & Gregg, "Error analysis and improving the accuracy of
Winograd convolution for deep neural networks", ACM TOMS 46(4), 2020, which found 0, -1, 1, 1/2, -2
among the best points for F(4, 3). Prints figures only; needs Debian's python3-numpy.

    /usr/bin/python3 bench/winograd_points.py
"""
import random
from fractions import Fraction as Fr

import numpy as np


def polymul(p, q):
    r = [Fr(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            r[i + j] += a * b
    return r


def matrices(points, m):
    """A^T (m x n), G (n x 3), B^T (n x n) of F(m, 3), n = m + 2: the given n - 1 points and infinity."""
    n = m + 2
    a = [Fr(x) for x in points]
    assert len(a) == n - 1, "F(%d, 3) needs %d finite points" % (m, n - 1)
    at = [[a[j] ** i for j in range(n - 1)] + [Fr(1 if i == m - 1 else 0)] for i in range(m)]
    f = []
    for j in range(n - 1):
        prod = Fr(1)
        for k in range(n - 1):
            if k != j:
                prod *= a[j] - a[k]
        f.append(prod)
    g = [[a[j] ** k / f[j] for k in range(3)] for j in range(n - 1)] + [[Fr(0), Fr(0), Fr(1)]]
    bt = []
    for j in range(n - 1):
        p = [Fr(1)]
        for k in range(n - 1):
            if k != j:
                p = polymul(p, [-a[k], Fr(1)])
        bt.append(p + [Fr(0)] * (n - len(p)))
    p = [Fr(1)]
    for k in range(n - 1):
        p = polymul(p, [-a[k], Fr(1)])
    bt.append(p)
    return at, g, bt


def exact(at, g, bt, m):
    """A^T [(G w) * (B^T d)] == the correlation sum_k w[k] d[i + k], in rationals, on random data."""
    n = m + 2
    rnd = random.Random(1)
    for _ in range(20):
        w = [Fr(rnd.randint(-9, 9)) for _ in range(3)]
        d = [Fr(rnd.randint(-9, 9)) for _ in range(n)]
        gw = [sum(g[j][k] * w[k] for k in range(3)) for j in range(n)]
        bd = [sum(bt[j][k] * d[k] for k in range(n)) for j in range(n)]
        y = [sum(at[i][j] * gw[j] * bd[j] for j in range(n)) for i in range(m)]
        if y != [sum(w[k] * d[i + k] for k in range(3)) for i in range(m)]:
            return False
    return True


def layer_error(points, m, tiles=2000, channels=64):
    at, g, bt = matrices(points, m)
    assert exact(at, g, bt, m)
    n = m + 2
    at32, bt32 = (np.array([[float(x) for x in r] for r in mat], np.float32) for mat in (at, bt))
    g64 = np.array([[float(x) for x in r] for r in g])
    rng = np.random.default_rng(1)
    d = rng.standard_normal((tiles, channels, n, n)).astype(np.float32)
    w = (rng.standard_normal((channels, channels, 3, 3)) / np.sqrt(9 * channels)).astype(np.float32)
    ref = np.zeros((tiles, channels, m, m))
    for ky in range(3):
        for kx in range(3):
            ref += np.einsum("tcyx,oc->toyx", d[:, :, ky:ky + m, kx:kx + m].astype(np.float64),
                             w[:, :, ky, kx].astype(np.float64))
    u = (g64 @ w.astype(np.float64) @ g64.T).astype(np.float32)
    v = (bt32 @ d @ bt32.T).astype(np.float32)
    mm = np.einsum("tcij,ocij->toij", v, u, dtype=np.float32)
    y = (at32 @ mm @ at32.T).astype(np.float32)
    err = np.abs(y - ref)
    return err.max() / np.abs(ref).max(), np.sqrt((err ** 2).mean() / (ref ** 2).mean())


def main():
    h = Fr(1, 2)
    print("float32 error of one layer (64 channels), relative: largest | root mean square")
    print("  F(2x2) 0, 1, -1                 %.2e | %.2e" % layer_error([0, 1, -1], 2))
    candidates = [[0, 1, -1, 2, -2], [0, 1, -1, h, -2], [0, 1, -1, 2, -h], [0, 1, -1, h, -h],
                  [0, -1, 1, h, 2], [0, 1, -1, Fr(3, 2), Fr(-3, 2)]]
    for pts in candidates:
        label = ", ".join(str(p) for p in pts)
        print("  F(4x4) %-24s %.2e | %.2e" % ((label,) + layer_error(pts, 4)))
    at, g, bt = matrices([0, 1, -1, h, -2], 4)
    print("chosen F(4x4) points 0, 1, -1, 1/2, -2 (and infinity):")
    for name, mat in (("B^T", bt), ("G", g), ("A^T", at)):
        print("  %s = [%s]" % (name, "; ".join(" ".join(str(x) for x in row) for row in mat)))


if __name__ == "__main__":
    main()
