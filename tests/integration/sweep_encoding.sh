#!/usr/bin/env bash
# sanitizer: no
# sweep_encoding.sh — a sweep file that is not UTF-8 is refused before any store is made, and every
# store iwsweep writes holds its sweep file whole in /spec and opens in the README's recipes:
#   - the issue's input (a sweep converted with iconv to UTF-16), and UTF-16BE, UTF-32, UTF-16
#     without a byte-order mark, Latin-1 and Windows-1252: exit 2, the message names the file and
#     the line, no store, no lock file, no checkpoint folder;
#   - a UTF-8 sweep with non-ASCII comments (2-, 3- and 4-byte characters) and one that starts with
#     a UTF-8 byte-order mark: the sweep runs, /spec read by h5py equals the file's bytes, and the
#     README's h5py and xarray blocks (taken from README.md) run on the store.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
cat >base.yaml <<'YAML'
name: enc
data: {source: synthetic2d, train_per_class: 20, test_per_class: 20}
model: {kind: linear}
train: {epochs: 2, batch_size: 8, lr: 0.1}
grid: {importance_weight: [1, 4], seed: [0]}
YAML
# with a non-ASCII comment on line 4 (Latin-1 and CP1252 can carry é; CP1252 also the quotes)
{ sed -n 1,3p base.yaml; printf '# caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d\n'; sed -n '4,$p' base.yaml; } >accents.yaml

# refused: NAME LINE WHAT FILE
refused() {
  local name=$1 line=$2 what=$3 file=$4 out rc
  out=$("$IWS" -o "$name.h5" "$file" 2>&1); rc=$?
  if [ $rc = 2 ] && echo "$out" | grep -qF "$file:$line: " && echo "$out" | grep -qF -- "$what" &&
     echo "$out" | grep -q "must be UTF-8" && ! ls "$name".h5* >/dev/null 2>&1; then
    ok "$name refused before any store: $(echo "$out" | head -1 | cut -c1-110)"
  else not_ok "$name refused before any store" "rc=$rc, files: $(ls "$name".h5* 2>/dev/null | tr '\n' ' ') out: $out"; fi
}
iconv -f utf-8 -t utf-16 base.yaml >utf16.yaml      # glibc writes a mark, little-endian here
iconv -f utf-8 -t utf-16be base.yaml >utf16be-nomark.yaml
{ printf '\xfe\xff'; cat utf16be-nomark.yaml; } >utf16be.yaml
iconv -f utf-8 -t utf-32 base.yaml >utf32.yaml
iconv -f utf-8 -t utf-16le base.yaml >utf16le-nomark.yaml
iconv -f utf-8 -t latin1 accents.yaml >latin1.yaml 2>/dev/null || iconv -f utf-8 -t latin1//TRANSLIT accents.yaml >latin1.yaml
iconv -f utf-8 -t cp1252 accents.yaml >cp1252.yaml
refused utf16 1 "UTF-16 (little-endian)" utf16.yaml
refused utf16be 1 "UTF-16 (big-endian)" utf16be.yaml
refused utf32 1 "UTF-32" utf32.yaml
refused utf16le-nomark 1 "NUL byte" utf16le-nomark.yaml
refused utf16be-nomark 1 "NUL byte" utf16be-nomark.yaml
refused latin1 4 "not UTF-8" latin1.yaml
refused cp1252 4 "not UTF-8" cp1252.yaml
# the same through --dry-run, which makes no store either
out=$("$IWS" --dry-run -o dry.h5 utf16.yaml 2>&1); rc=$?
if [ $rc = 2 ] && echo "$out" | grep -q "utf16.yaml:1: .*must be UTF-8"; then ok "--dry-run refuses UTF-16 too"
else not_ok "--dry-run refuses UTF-16 too" "rc=$rc: $out"; fi

# accepted: the store holds the file whole and opens in the README's recipes
block() {   # the first ```python block after a README heading line
  awk -v start="$1" 'index($0, start) == 1 { found = 1; next }
       found && /^```python/ { inside = 1; next }
       inside && /^```/ { exit }
       inside { print }' "$ROOT/README.md"
}
block "Reading it with h5py" >h5py_recipe.py
block "With xarray" >xarray_recipe.py
{ printf '\xef\xbb\xbf# \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x93\x88 \xce\xb1\xce\xb2\n'; cat accents.yaml; } >bom.yaml
for f in accents bom; do
  rm -rf results; mkdir -p results
  if "$IWS" -o results/fmnist-tshirt-shirt.h5 $f.yaml >$f.log 2>&1; then ok "$f: UTF-8 sweep runs"
  else not_ok "$f: UTF-8 sweep runs" "$(tail -3 $f.log)"; continue; fi
  if $PY - results/fmnist-tshirt-shirt.h5 $f.yaml <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    spec = f["spec"][()]
spec = spec if isinstance(spec, bytes) else spec.encode("utf-8")
sys.exit(0 if spec == open(sys.argv[2], "rb").read() else 1)
PY
  then ok "$f: /spec equals the sweep file byte for byte"; else not_ok "$f: /spec equals the sweep file byte for byte" "differs"; fi
  if $PY h5py_recipe.py >h5py.out 2>&1 && [ "$(grep -c '^importance_weight=[0-9.]*: epoch' h5py.out)" = 2 ]; then ok "$f: README h5py recipe reads the store"
  else not_ok "$f: README h5py recipe reads the store" "$(tail -3 h5py.out)"; fi
  if $PY xarray_recipe.py >xr.out 2>&1 && grep -q importance_weight xr.out; then ok "$f: README xarray recipe reads the store"
  else not_ok "$f: README xarray recipe reads the store" "$(tail -3 xr.out)"; fi
done
finish
