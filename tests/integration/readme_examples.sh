#!/usr/bin/env bash
# sanitizer: no
# readme_examples.sh — the sweep-file example of README.md, and every store reader we ship or show
# (the README's h5py and xarray blocks, run as users would paste them, and docs/examples/read_store.py
# and read_xarray.py) on real stores: tiny2d.yaml (weight x seed, like the default sweep) and
# readers_axes.yaml (16 settings of loss x weight_exponent x normalize x reweight_from), and the old
# stores of tests/fixtures. Each
# reader must print exactly iwreport table's cells, one per setting and weight, with its means,
# and nothing on stderr (check_readers.py): a reader that merges settings fails.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1

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

# The sweep-file example of "## The sweep file" parses (--dry-run: 240 runs listed, no store).
awk '/^## The sweep file/ { f = 1 } f && /^```yaml/ { i = 1; next } i && /^```/ { exit } i { print }' \
  "$ROOT/README.md" >readme_sweep.yaml
out=$("$BUILD/iwsweep" --dry-run -o readme_sweep.h5 readme_sweep.yaml 2>&1); rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q '^240 runs'; then ok "README sweep-file example is valid (240 runs)"
else not_ok "README sweep-file example is valid (240 runs)" "rc=$rc: $(echo "$out" | tail -2 | tr '\n' ' ')"; fi

# check_readers.py prints its own ok / not ok lines; a not ok fails this script
readers() { # STORE TAG [--settings N]
  local out; out=$($PY "$ROOT/tests/integration/check_readers.py" "$BUILD/iwreport" "$1" "$ROOT/README.md" \
                   "$ROOT/docs/examples" "$2" "${@:3}" 2>&1); echo "$out"
  echo "$out" | grep -q '^not ok' && IW_FAILED=1
  echo "$out" | grep -q '^ok' || not_ok "$2: check_readers.py ran" "$out"
}
for sweep in tiny2d:1 readers_axes:16; do
  name=${sweep%%:*} settings=${sweep##*:}
  if "$BUILD/iwsweep" -o "$name.h5" "$ROOT/tests/sweeps/$name.yaml" >"$name.log" 2>&1; then
    ok "sweep tests/sweeps/$name.yaml made a store"
    readers "$name.h5" "$name" --settings "$settings"
  else
    not_ok "sweep tests/sweeps/$name.yaml made a store" "$(tail -3 "$name.log")"
  fi
done
# stores made by older iwsweep versions (before issue 11's datasets): the readers still find their axes
for old in "$ROOT"/tests/fixtures/old_store_*.h5; do
  readers "$old" "$(basename "$old" .h5)" --settings 1
done
finish
