#!/usr/bin/env bash
# sanitizer: no
# run_sweep_store.sh — run_sweep.sh prints the table of the store the sweep wrote, whatever the
# sweep file looks like: it takes the path from `iwsweep --print-store`, never from YAML read in
# shell. Sweep files with a UTF-8 byte-order mark, a quoted name with a space, a name followed by a
# comment; the issue's case: `name: "X two"` run after `name: X` must print X two's table, not X's.
# --print-store itself: the default path, -o, exit 2 and nothing on stdout for a bad file.
# run_sweep.sh works in the repository (it builds build/ and writes results/<name>.h5): the stores
# are named iwtest-<pid>-... and removed at exit.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
tag=iwtest-$$
trap 'rm -rf "$IW_TMP"; rm -f "$ROOT/results/$tag"*' EXIT
cd "$IW_TMP" || exit 1
body='data: {source: synthetic2d, train_per_class: 20, test_per_class: 20}
model: {kind: linear}
train: {epochs: 2, batch_size: 8}
grid: {importance_weight: [1, 4]}'
printf 'name: %s\n%s\n' "$tag" "$body" >plain.yaml
printf '\xef\xbb\xbfname: %s-bom\n%s\n' "$tag" "$body" >bom.yaml
printf 'name: "%s two"\n%s\n' "$tag" "$body" >two.yaml
printf "name: '%s-c'   # a comment\n%s\n" "$tag" "$body" >comment.yaml
printf 'name: %s\ngrid: {dropout: [1]}\n' "$tag" >bad.yaml

# --print-store FILE WANT [ARGS...]
print_store() {
  local file=$1 want=$2 out rc; shift 2
  out=$("$BUILD/iwsweep" --print-store "$@" "$file" 2>&1); rc=$?
  if [ $rc = 0 ] && [ "$out" = "$want" ]; then ok "--print-store $* $file: $want"
  else not_ok "--print-store $* $file: $want" "rc=$rc: $out"; fi
}
print_store plain.yaml "results/$tag.h5"
print_store bom.yaml "results/$tag-bom.h5"
print_store two.yaml "results/$tag two.h5"
print_store comment.yaml "results/$tag-c.h5"
print_store two.yaml "elsewhere/x.h5" -o elsewhere/x.h5
out=$("$BUILD/iwsweep" --print-store bad.yaml 2>err); rc=$?
if [ $rc = 2 ] && [ -z "$out" ] && grep -q "bad.yaml:2: key 'grid.dropout\[0\]'" err; then ok "--print-store on a bad sweep file: exit 2, the message, nothing on stdout"
else not_ok "--print-store on a bad sweep file: exit 2, the message, nothing on stdout" "rc=$rc out='$out': $(cat err)"; fi

# run_sweep.sh FILE: the table printed at the end is the one of results/<name>.h5
table_of() {
  local file=$1 want=$2 out rc
  out=$(cd "$ROOT" && ./run_sweep.sh -n 2 "$IW_TMP/$file" 2>&1); rc=$?
  if [ $rc = 0 ] && echo "$out" | grep -qF "store $want: " && [ "$(echo "$out" | grep -c '^store ')" = 1 ]; then
    ok "run_sweep.sh $file prints the table of $want"
  else not_ok "run_sweep.sh $file prints the table of $want" "rc=$rc: $(echo "$out" | grep -v '^\[' | tail -6)"; fi
}
table_of plain.yaml "results/$tag.h5"
table_of two.yaml "results/$tag two.h5"
table_of bom.yaml "results/$tag-bom.h5"
table_of comment.yaml "results/$tag-c.h5"
out=$(cd "$ROOT" && ./run_sweep.sh -n 2 "$IW_TMP/bad.yaml" 2>&1); rc=$?
if [ $rc = 2 ] && echo "$out" | grep -q "bad.yaml:2: key 'grid.dropout\[0\]'" && ! echo "$out" | grep -q "mpirun"; then
  ok "run_sweep.sh stops on a bad sweep file before launching"
else not_ok "run_sweep.sh stops on a bad sweep file before launching" "rc=$rc: $out"; fi
finish
