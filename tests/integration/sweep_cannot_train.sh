#!/usr/bin/env bash
# sanitizer: no
# sweep_cannot_train.sh — a run that cannot train is never recorded as done:
#   - the issue's sweep (batch norm with batch_size 1, where every minibatch would be skipped) and
#     a sub-sample that keeps no positive example: refused before any store or lock file exists,
#     exit 2, the message naming file, line and key (real runs under mpirun, not only --dry-run);
#   - a class pair of which the data files hold no examples (IDX files written here whose labels
#     stop at class 5, classes [0, 6]): the sweep stops at set-up (exit 2) with the class named,
#     before any store or lock file exists (the data are loaded before the store is made), and
#     --dry-run says the same.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
cat >bn1.yaml <<'YAML'
name: bn1
data: {source: synthetic2d, train_per_class: 20, test_per_class: 20}
model: {kind: mlp, hidden: [16]}
train: {epochs: 3, batch_size: 1, lr: 0.1}
grid: {batchnorm: [false, true]}
YAML
cat >sub.yaml <<'YAML'
name: sub
data: {source: synthetic2d, train_per_class: 20, test_per_class: 20}
model: {kind: linear}
train: {epochs: 2, batch_size: 8}
grid: {importance_weight: [0.01, 1], sampling: [weight, subsample]}
YAML
# refused NAME FILE EXPECT
refused() {
  local out rc
  out=$(iw_mpirun 2 "$IWS" -o "$1.h5" "$2" 2>&1); rc=$?
  if [ $rc = 2 ] && echo "$out" | grep -qF -- "$3" && ! ls "$1".h5* >/dev/null 2>&1; then
    ok "$1 refused before any store: $(echo "$out" | grep -F -- "$3" | head -1 | cut -c1-120)"
  else not_ok "$1 refused before any store" "rc=$rc, files: $(ls "$1".h5* 2>/dev/null | tr '\n' ' ') out: $out"; fi
}
refused bn1 bn1.yaml "bn1.yaml:4: key 'train.batch_size': batch norm needs at least 2 examples per minibatch"
refused sub sub.yaml "sub.yaml:5: key 'grid.importance_weight[0]': with grid.sampling subsample, weight 0.01 keeps round(20 x 0.01) = 0"

# IDX files (Fashion-MNIST's format) with 60 images labelled 0..5 only
mkdir idx
$PY - idx <<'PY'
import struct, sys
import numpy as np
d, n = sys.argv[1], 60
rng = np.random.default_rng(0)
for split in ("train", "t10k"):
    with open(f"{d}/{split}-images-idx3-ubyte", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28) + rng.integers(0, 256, (n, 28, 28), dtype=np.uint8).tobytes())
    with open(f"{d}/{split}-labels-idx1-ubyte", "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + (np.arange(n) % 6).astype(np.uint8).tobytes())
PY
cat >nocls.yaml <<YAML
name: nocls
data: {source: fashion-mnist, path: $IW_TMP/idx, classes: [0, 6], train_per_class: 5, test_per_class: 5, probes: []}
model: {kind: linear}
train: {epochs: 1, batch_size: 4}
grid: {importance_weight: [1, 4]}
YAML
out=$(iw_mpirun 2 "$IWS" -o nocls.h5 nocls.yaml 2>&1); rc=$?
if [ $rc = 2 ] && echo "$out" | grep -q "class 6 (Shirt), but .* has only 0" && ! ls nocls.h5* >/dev/null 2>&1; then
  ok "a class the data files do not hold: exit 2 at set-up, before any store or lock file exists"
else not_ok "a class the data files do not hold: exit 2 at set-up, before any store or lock file exists" \
  "rc=$rc, files: $(ls nocls.h5* 2>/dev/null | tr '\n' ' ') out: $out"; fi
dry=$("$IWS" --dry-run -o nocls.h5 nocls.yaml 2>&1); drc=$?
if [ $drc = $rc ] && [ "$(echo "$dry" | grep '^iwsweep:')" = "$(echo "$out" | grep '^iwsweep:')" ]; then
  ok "--dry-run gives the same refusal and exit status for the missing class"
else not_ok "--dry-run gives the same refusal and exit status for the missing class" "dry rc=$drc: $dry"; fi
finish
