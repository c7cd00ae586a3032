#!/usr/bin/env bash
# sanitizer: no
# sweep_dry_run_agrees.sh — issue 9 item 6: --dry-run makes the checks a real run makes and gives
# the same verdict with the same exit status, creating and changing nothing. "The same sweep" is
# the same parsed sweep: on a store made from sweep.yaml, the same sweep with CRLF line endings,
# with comments, and with its keys in another order resumes it (dry run and real run both exit 0,
# the store's /spec keeps its text); a changed value and a different grid are refused by both with
# exit 2 and the same message, which lists the keys that differ (stored vs file, one per line) and
# never advises removing a store that holds finished runs (one without finished runs: "may also be
# removed"). Also the lock (a store in use), a file that is not a store, and a leftover
# STORE.creating, which the dry run reports and leaves in place. After every dry run the folder
# holds the same files with the same bytes.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
mkdir "$IW_TMP/work" && cd "$IW_TMP/work" || exit 1   # Open MPI's session folders stay outside
IWS=$BUILD/iwsweep
cat >sweep.yaml <<'YAML'
name: t-base
data: {source: synthetic2d, train_per_class: 20, test_per_class: 20}
model: {kind: linear}
train: {epochs: 3, batch_size: 8, lr: 0.1}
grid: {importance_weight: [1, 4], seed: [0]}
YAML
sed 's/$/\r/' sweep.yaml >crlf.yaml
{ echo "# the same sweep, commented"; sed 's/$/   # a comment/' sweep.yaml; echo "# end"; } >comments.yaml
cat >order.yaml <<'YAML'
grid: {seed: [0], importance_weight: [1, 4]}
train: {lr: 0.1, batch_size: 8, epochs: 3}
model: {kind: linear}
data: {test_per_class: 20, train_per_class: 20, source: synthetic2d}
name: t-base
YAML
sed 's/lr: 0.1/lr: 0.05/' sweep.yaml >value.yaml
sed 's/importance_weight: \[1, 4\]/importance_weight: [1, 2, 4]/' sweep.yaml >grid.yaml

"$IWS" -o s.h5 sweep.yaml >made.out 2>&1 || { not_ok "the store is made" "$(cat made.out)"; finish; }
snapshot() { find . -type f ! -name 'dry.*' ! -name 'real.*' | sort | xargs md5sum; }

# agree NAME SWEEP WANT_RC [STORE]: dry run, then real run, on STORE (default a copy of s.h5)
agree() {
  local name=$1 sweep=$2 want=$3 store=${4:-}
  if [ -z "$store" ]; then store=$name.h5; cp s.h5 "$store"; fi
  local before after
  before=$(snapshot)
  "$IWS" --dry-run -o "$store" "$sweep" >dry.out 2>dry.err; drc=$?
  after=$(snapshot)
  "$IWS" -o "$store" "$sweep" >real.out 2>real.err; rrc=$?
  local why=""
  [ "$before" = "$after" ] || why="$why the dry run changed the folder: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ');"
  [ $drc = "$want" ] || why="$why dry run exit $drc, expected $want;"
  [ $rrc = "$want" ] || why="$why real run exit $rrc, expected $want;"
  if [ "$want" != 0 ] && ! diff -q <(grep -v '^\[' dry.err) <(grep -v '^\[' real.err) >/dev/null; then
    why="$why messages differ: dry '$(tr '\n' ' ' <dry.err)' real '$(tr '\n' ' ' <real.err)';"
  fi
  if [ -z "$why" ]; then ok "$name: dry run and real run agree (exit $want)"; else not_ok "$name" "$why"; fi
}

for v in crlf comments order; do
  agree "$v" "$v.yaml" 0
  if grep -q "store: $v.h5 (exists: a real run resumes it: 2 of 2 runs finished" dry.out &&
     grep -q "the same sweep written differently" dry.out &&
     grep -q "the sweep file is the store's sweep written differently" real.err &&
     cmp -s <($PY -c 'import h5py, sys; sys.stdout.write(h5py.File(sys.argv[1], "r")["spec"][()].decode())' "$v.h5") sweep.yaml
  then ok "$v: both resume the store, which keeps its /spec verbatim"
  else not_ok "$v: both resume the store, which keeps its /spec verbatim" "$(cat dry.out real.err | tr '\n' ' ')"; fi
done

agree value value.yaml 2
if grep -q "^iwsweep: value.h5 was made from a different sweep: 2 keys differ (stored vs value.yaml):" real.err &&
   grep -qx "  train.lr: stored 0.1, file 0.05" real.err && grep -qx "  train.lr_dropout: stored 0.1, file 0.05" real.err &&
   grep -qx "use another -o path (this store holds 2 finished runs: keep it)" real.err && ! grep -q remove real.err; then
  ok "a changed value: the keys listed, stored vs file; no advice to remove a store with finished runs"
else not_ok "a changed value: the keys listed" "$(cat real.err)"; fi

agree grid grid.yaml 2
if grep -qx "  grid.importance_weight: stored \[1, 4\], file \[1, 2, 4\]" real.err && [ "$(grep -c '^  ' real.err)" = 1 ]; then
  ok "a different grid: grid.importance_weight listed alone"
else not_ok "a different grid: grid.importance_weight listed alone" "$(cat real.err)"; fi

# a store without finished runs (every run failed) may be removed
IW_TEST_FAIL_RUN=0,1 "$IWS" -o nofin.h5 sweep.yaml >/dev/null 2>&1
agree "no finished runs" value.yaml 2 nofin.h5
grep -q "this store holds no finished run, so it may also be removed" real.err &&
  ok "a store without finished runs: it may be removed" || not_ok "a store without finished runs: it may be removed" "$(cat real.err)"

# a file that is not a store
echo "not hdf5" >text.h5
agree "not a store" sweep.yaml 2 text.h5

# a store in use: the lock file held by another process (flock, as a sweep holds it)
cp s.h5 busy.h5
flock -x busy.h5.lock sleep 30 &
holder=$!
wait_for 5 test -e busy.h5.lock
agree "a store in use" sweep.yaml 2 busy.h5
grep -q "store in use by" real.err && ok "a store in use: refused as 'store in use by' by both" ||
  not_ok "a store in use: refused as 'store in use by' by both" "$(cat real.err)"
kill $holder 2>/dev/null; wait $holder 2>/dev/null

# a leftover STORE.creating: the dry run says a real run removes it, and leaves it
cp s.h5 left.h5
echo partial >left.h5.creating
"$IWS" --dry-run -o left.h5 sweep.yaml >dry.out 2>&1; drc=$?
if [ $drc = 0 ] && [ -e left.h5.creating ] && grep -q "a real run removes left.h5.creating" dry.out; then
  ok "a leftover STORE.creating: reported by the dry run, left in place"
else not_ok "a leftover STORE.creating: reported by the dry run, left in place" "rc=$drc $(cat dry.out)"; fi
"$IWS" -o left.h5 sweep.yaml >real.out 2>&1; rrc=$?
[ $rrc = 0 ] && [ ! -e left.h5.creating ] && ok "the real run removes it and resumes" ||
  not_ok "the real run removes it and resumes" "rc=$rrc $(cat real.out)"
finish
