#!/usr/bin/env bash
# sanitizer: no
# sweep_models.sh — the convolutional models and the sampling axis end to end through iwsweep under
# mpirun: a narrow `kind: cnn` sweep on real Fashion-MNIST with sampling [weight, subsample], batch
# norm and dropout axes, and a narrow `kind: resnet` sweep with batch norm on and off. Every run must
# finish, the store must hold both sampling values, and training must change the networks (the
# weight norm moves, subsample runs differ from weighted runs of the same weight).
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1
for s in cnn_tiny resnet_tiny; do
  if iw_mpirun 3 "$BUILD/iwsweep" -o "$s.h5" "$ROOT/tests/sweeps/$s.yaml" >"$s.log" 2>&1; then
    ok "$s sweep completes under mpirun -np 3"
  else
    not_ok "$s sweep completes under mpirun -np 3" "$(tail -4 "$s.log" | tr '\n' ' ')"
  fi
done
$PY - >check.out 2>&1 <<'PY'
import h5py, numpy as np
def line(ok, name, why=""):
    print(("ok - " if ok else f"# {why}\nnot ok - ") + name)
with h5py.File("cnn_tiny.h5", "r") as f:
    st = f["runs/status"][:]; samp = f["runs/sampling"][:]; w = f["runs/importance_weight"][:]
    bn = f["runs/batchnorm"][:]; do = f["runs/dropout"][:]
    norm = f["metrics/weight_norm"][:]; loss = f["metrics/train_loss"][:]
    line(len(st) == 16 and (st == 1).all(), "cnn: all 16 runs done", f"status {st}")
    line(sorted(set(samp.tolist())) == [0, 1] and "subsample" in f["runs/sampling"].attrs["flag_meanings"],
         "cnn: store holds sampling weight and subsample", f"sampling {samp}")
    line(np.isfinite(loss).all() and (np.abs(norm[:, -1] - norm[:, 0]) > 1e-4).all(),
         "cnn: every run trained (finite loss, weight norm moved)", f"norm0 {norm[:, 0]} normE {norm[:, -1]}")
    a = (samp == 0) & (w == 4) & (bn == 0) & (do == 0); b = (samp == 1) & (w == 4) & (bn == 0) & (do == 0)
    line(not np.allclose(loss[a, -1], loss[b, -1]), "cnn: subsample run differs from the weighted run",
         f"{loss[a, -1]} vs {loss[b, -1]}")
    line(np.allclose(norm[:, 0], norm[0, 0]) , "cnn: paired start (same initial weight norm for seed 0)", f"{norm[:, 0]}")
with h5py.File("resnet_tiny.h5", "r") as f:
    st = f["runs/status"][:]; norm = f["metrics/weight_norm"][:]
    line(len(st) == 4 and (st == 1).all(), "resnet: all 4 runs done", f"status {st}")
    line((np.abs(norm[:, -1] - norm[:, 0]) > 1e-4).all(), "resnet: every run trained", f"{norm}")
PY
cat check.out
grep -q '^not ok' check.out && IW_FAILED=1
grep -q '^ok' check.out || not_ok "store checks ran" "$(tail -3 check.out)"
finish
