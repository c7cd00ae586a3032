#!/usr/bin/env bash
# sanitizer: no
# readme_examples.sh — the sweep-file example and the two Python blocks of README.md ("Reading it with h5py", "With xarray")
# run as users would paste them, on a real store made by a tiny sweep and placed where the examples
# look (results/fmnist-tshirt-shirt.h5). The h5py block must print one line per importance weight
# whose epoch-1 and last-epoch means equal those computed here independently from the store.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1
mkdir -p results
if "$BUILD/iwsweep" -o results/fmnist-tshirt-shirt.h5 "$ROOT/tests/sweeps/tiny2d.yaml" >sweep.log 2>&1; then
  ok "tiny sweep made a store"
else
  not_ok "tiny sweep made a store" "$(tail -3 sweep.log)"; finish
fi

# Extract the first ```python block after a heading line of README.md.
block() {
  awk -v start="$1" 'index($0, start) == 1 { found = 1; next }
       found && /^```python/ { inside = 1; next }
       inside && /^```/ { exit }
       inside { print }' "$ROOT/README.md"
}
block "Reading it with h5py" >h5py_example.py
block "With xarray" >xarray_example.py
[ -s h5py_example.py ] && [ -s xarray_example.py ] && ok "README has both examples" \
  || not_ok "README has both examples" "h5py: $(wc -l <h5py_example.py) lines, xarray: $(wc -l <xarray_example.py) lines"

# The sweep-file example of "## The sweep file" parses (--dry-run: 240 runs listed, no store). Its
# default store results/fmnist-tshirt-shirt.h5 exists here (made above from another sweep, which a
# dry run refuses as a real run would): -o names a fresh one.
awk '/^## The sweep file/ { f = 1 } f && /^```yaml/ { i = 1; next } i && /^```/ { exit } i { print }' \
  "$ROOT/README.md" >readme_sweep.yaml
out=$("$BUILD/iwsweep" --dry-run -o readme_sweep.h5 readme_sweep.yaml 2>&1); rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q '^240 runs'; then ok "README sweep-file example is valid (240 runs)"
else not_ok "README sweep-file example is valid (240 runs)" "rc=$rc: $(echo "$out" | tail -2 | tr '\n' ' ')"; fi

if $PY h5py_example.py >h5py.out 2>&1; then ok "README h5py example runs"; else not_ok "README h5py example runs" "$(tail -5 h5py.out)"; fi
# Independent means from the store, formatted like the example's lines.
$PY - >expected.out 2>&1 <<'PY'
import h5py, numpy as np
with h5py.File("results/fmnist-tshirt-shirt.h5", "r") as f:
    w = f["runs/importance_weight"][:]; st = f["runs/status"][:]; m = f["metrics/test_frac_positive"][:]; E = f["epoch"][-1]
for x in np.unique(w):
    rows = (w == x) & ((st == 1) | (st == 2))
    print(f"weight {x:8g}: epoch 1 {m[rows, 1].mean():.3f}   epoch {E} {m[rows, -1].mean():.3f}")
PY
if diff -u expected.out h5py.out >diff.out; then ok "README h5py example prints the store's means per weight"
else not_ok "README h5py example prints the store's means per weight" "$(head -8 diff.out | tr '\n' ' ')"; fi

if $PY xarray_example.py >xarray.out 2>&1 && grep -q importance_weight xarray.out; then
  ok "README xarray example runs with named dimensions"
else not_ok "README xarray example runs with named dimensions" "$(tail -5 xarray.out)"; fi
finish
