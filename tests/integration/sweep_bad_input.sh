#!/usr/bin/env bash
# sweep_bad_input.sh — hostile input gets a clear message and a non-zero exit, and never touches an
# existing store:
#   - `iwsweep --dry-run` on every tests/bad_sweeps/*.yaml (first line "# expect: <text>"): exit 2
#     and the expected text in the message (run 4 at a time: each is an MPI start-up);
#   - an existing store is byte for byte unchanged (sha256sum) after a bad sweep file and after a
#     different, valid sweep file were pointed at it (the latter refused: another sweep's store);
#   - an unwritable output path (a folder under a regular file; /proc) is refused with a message
#     naming the path, before anything is written.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
SW=$ROOT/tests/sweeps
export IWS

files=$(ls "$ROOT"/tests/bad_sweeps/*.yaml 2>/dev/null)
if [ -z "$files" ]; then not_ok "bad sweep files present" "no tests/bad_sweeps/*.yaml"; finish; fi
one() { # one FILE: prints "ok - ..." or "# ...\nnot ok - ..."
  local f=$1 name expect out rc
  name=$(basename "$f" .yaml)
  expect=$(sed -n '1s/^# expect: //p' "$f")
  # each singleton gets its own session folder: concurrent ones sharing one sometimes fail in
  # MPI_Init ("A call to mkdir was unable to create the desired directory") as another cleans up
  mkdir -p "$IW_TMP/ompi-$name"
  out=$(OMPI_MCA_orte_tmpdir_base=$IW_TMP/ompi-$name OMPI_MCA_ess_singleton_isolated=1 \
        "$IWS" --dry-run -o "$IW_TMP/unused-$name.h5" "$f" 2>&1); rc=$?
  if [ -z "$expect" ]; then echo "# $f has no '# expect:' first line"; echo "not ok - bad sweep $name"
  elif [ $rc = 2 ] && printf '%s' "$out" | grep -qF -- "$expect" && printf '%s' "$out" | grep -qF -- "$(basename "$f")"; then
    echo "ok - bad sweep $name: exit 2, message names the file and says '$expect'"
  else echo "# rc=$rc, expected '$expect' in: $out" | head -3; echo "not ok - bad sweep $name"; fi
}
export -f one
export IW_TMP
printf '%s\n' $files | xargs -P 4 -I{} bash -c 'one "$1" >"$IW_TMP/res.$(basename "$1")"' _ {}
for f in $files; do
  r="$IW_TMP/res.$(basename "$f")"
  cat "$r"; grep -q '^not ok' "$r" && IW_FAILED=1
done
if ls "$IW_TMP"/unused-*.h5 >/dev/null 2>&1; then not_ok "dry runs create no store" "$(ls "$IW_TMP"/unused-*.h5)"; else ok "dry runs create no store"; fi

# --- an existing store is left untouched
"$IWS" -o keep.h5 "$SW/tiny2d.yaml" >keep.out 2>keep.err || not_ok "make a store" "$(tail -3 keep.err)"
sum0=$(sha256sum keep.h5)
bad=$(printf '%s\n' $files | head -1)
"$IWS" -o keep.h5 "$bad" >b1.out 2>&1; rc1=$?
"$IWS" -o keep.h5 "$SW/ranks2d.yaml" >b2.out 2>&1; rc2=$?
"$IWS" -o keep.h5 --retry-failed "$SW/ranks2d.yaml" >b3.out 2>&1; rc3=$?
sum1=$(sha256sum keep.h5)
if [ "$sum0" = "$sum1" ] && [ $rc1 = 2 ] && [ $rc2 = 2 ] && [ $rc3 = 2 ]; then ok "existing store byte for byte unchanged after a bad and a different sweep file"
else not_ok "existing store byte for byte unchanged after a bad and a different sweep file" "rc $rc1 $rc2 $rc3, sums equal: $([ "$sum0" = "$sum1" ] && echo yes || echo no)"; fi
if grep -qi 'sweep' b2.out && grep -q 'keep.h5' b2.out; then ok "different sweep refused: $(head -1 b2.out | cut -c1-140)"
else not_ok "different sweep refused with a message" "$(cat b2.out)"; fi

# --- unwritable output paths
touch plainfile
"$IWS" -o plainfile/x.h5 "$SW/tiny2d.yaml" >u1.out 2>&1; rc1=$?
if [ $rc1 = 2 ] && grep -q 'cannot write the store plainfile/x.h5' u1.out; then ok "output under a regular file: $(head -1 u1.out | cut -c1-120)"
else not_ok "output under a regular file refused" "rc=$rc1: $(cat u1.out)"; fi
"$IWS" -o /proc/iwsweep-test.h5 "$SW/tiny2d.yaml" >u2.out 2>&1; rc2=$?
if [ $rc2 = 2 ] && grep -q "cannot write the store /proc/iwsweep-test.h5: the folder '/proc' is not writable" u2.out; then ok "unwritable folder: $(head -1 u2.out | cut -c1-120)"
else not_ok "unwritable folder refused" "rc=$rc2: $(cat u2.out)"; fi
"$IWS" --dry-run -o /proc/iwsweep-test.h5 "$SW/tiny2d.yaml" >u3.out 2>&1; rc3=$?
if [ $rc3 = 2 ] && grep -q 'not writable' u3.out; then ok "dry run checks the output path too"; else not_ok "dry run checks the output path too" "rc=$rc3: $(cat u3.out)"; fi
finish
