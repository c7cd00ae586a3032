#!/usr/bin/env bash
# sanitizer: no
# store_lock_fallback.sh — sweeps on file systems without flock() (NFS without a lock daemon, Lustre
# without -o flock, ...), stood in for by an LD_PRELOAD library built here (nolock_preload.c)
# whose flock() fails with ENOLCK, and with IW_NOLOCK=flock,fcntl whose fcntl locks fail too:
#   - flock fails: the sweep runs under mpirun with fcntl locks, says so ("lock: fcntl"), with and
#     without HDF5_USE_FILE_LOCKING=FALSE, and leaves no lock file; a second sweep meanwhile is
#     refused with "store in use by host H pid P";
#   - flock and fcntl fail: the lock file itself (O_EXCL) is the lock ("lock: exclusive-file"),
#     a second sweep is refused and told which file to remove if the holder is gone, nothing is
#     left on exit; a file left by a dead process of this host is removed with a notice; one from
#     another host is refused, naming that host, pid and Slurm job;
#   - --dry-run tests each of these locks without taking or removing anything and gives the real
#     run's verdict: the same refusal and exit status while a sweep holds the store, a stale file
#     reported (a real run removes it) and left in place;
#   - readers on such a file system: iwreport reads the store; h5py does with the setting the
#     README gives (HDF5_USE_FILE_LOCKING=FALSE).
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
SW=$ROOT/tests/sweeps
if ! cc -shared -fPIC -Wall -o nolock.so "$ROOT/tests/integration/nolock_preload.c" -ldl 2>cc.err; then
  not_ok "build the LD_PRELOAD library" "$(cat cc.err)"; finish
fi
PRELOAD=$IW_TMP/nolock.so
me=$(hostname)

# sweep_ok NAME KIND STORE [ENV...]: a 2-rank sweep of tiny2d with the preload succeeds with lock KIND
sweep_ok() {
  local name=$1 kind=$2 store=$3 out rc left; shift 3
  out=$(env "$@" LD_PRELOAD=$PRELOAD mpirun --oversubscribe -np 2 "$IWS" -o "$store" "$SW/tiny2d.yaml" 2>&1); rc=$?
  left=$(ls "$store".lock "$store".creating 2>/dev/null)
  if [ $rc = 0 ] && echo "$out" | grep -q "(new; lock: $kind)" && [ -z "$left" ]; then
    ok "$name: done with lock $kind, nothing left behind: $(echo "$out" | grep -m1 'note:' | cut -c1-110)"
  else not_ok "$name: done with lock $kind, nothing left behind" "rc=$rc left='$left': $(echo "$out" | grep -v '^\[' | tail -5)"; fi
}
# exclusion NAME STORE EXTRA [ENV...]: while a slow sweep holds STORE, a second is refused with the
# holder (and EXTRA in the message); once the first is stopped its lock file is gone
exclusion() {
  local name=$1 store=$2 extra=$3 out rc holder; shift 3
  env "$@" LD_PRELOAD=$PRELOAD setsid mpirun --oversubscribe -np 2 "$IWS" -o "$store" "$SW/slow2d.yaml" >"$store.first" 2>&1 &
  local job=$!
  if ! wait_for 60 grep -qs "sweep 'slow2d'" "$store.first"; then not_ok "$name: first sweep started" "$(tail -3 "$store.first")"; kill_job $job; return; fi
  holder=$(sed -n 's/^pid \([0-9]*\) .*/\1/p' "$store.lock")
  out=$(env "$@" LD_PRELOAD=$PRELOAD "$IWS" -o "$store" "$SW/slow2d.yaml" 2>&1); rc=$?
  if [ $rc = 2 ] && echo "$out" | grep -qF "store in use by host $me pid $holder" && echo "$out" | grep -qF -- "$extra"; then
    ok "$name: a second sweep is refused: $(echo "$out" | cut -c1-120)"
  else not_ok "$name: a second sweep is refused with the holder" "rc=$rc: $out"; fi
  local dry drc
  dry=$(env "$@" LD_PRELOAD=$PRELOAD "$IWS" --dry-run -o "$store" "$SW/slow2d.yaml" 2>&1); drc=$?
  if [ $drc = $rc ] && [ "$dry" = "$out" ]; then ok "$name: --dry-run gives the same refusal, exit $drc"
  else not_ok "$name: --dry-run gives the same refusal" "rc=$drc: $dry"; fi
  kill -TERM $(ps -o pid=,comm= -s $job | awk '$2 == "iwsweep" { print $1 }') 2>/dev/null
  wait $job; kill_job $job
  if [ ! -e "$store.lock" ] && grep -q "interrupted" "$store.first"; then ok "$name: stopped cleanly, lock file removed"
  else not_ok "$name: stopped cleanly, lock file removed" "$(ls "$store".lock 2>&1; tail -3 "$store.first")"; fi
}

export IW_NOLOCK=flock
sweep_ok "no flock" fcntl a.h5
sweep_ok "no flock, HDF5_USE_FILE_LOCKING=FALSE" fcntl b.h5 HDF5_USE_FILE_LOCKING=FALSE
exclusion "no flock" busy.h5 "(lock file "
if LD_PRELOAD=$PRELOAD "$BUILD/iwreport" summary a.h5 >rep.out 2>&1 && grep -q "4 done" rep.out; then ok "iwreport reads the store without file locks"
else not_ok "iwreport reads the store without file locks" "$(tail -3 rep.out)"; fi
if HDF5_USE_FILE_LOCKING=FALSE LD_PRELOAD=$PRELOAD $PY -c 'import h5py, sys; sys.exit(0 if list(h5py.File(sys.argv[1], "r")["runs/status"][:]) == [1] * 4 else 1)' a.h5 2>py.err
then ok "h5py reads it with HDF5_USE_FILE_LOCKING=FALSE (the README's advice)"; else not_ok "h5py reads it with HDF5_USE_FILE_LOCKING=FALSE" "$(tail -2 py.err)"; fi

export IW_NOLOCK=flock,fcntl
sweep_ok "no flock, no fcntl" exclusive-file c.h5
exclusion "no flock, no fcntl" busy2.h5 "if no sweep is running on the store any more, remove $IW_TMP/busy2.h5.lock"
sleep 0 & dead=$!; wait $dead                        # a pid that no longer runs
echo "pid $dead host $me job - kind exclusive-file" >d.h5.lock
out=$(LD_PRELOAD=$PRELOAD "$IWS" --dry-run -o d.h5 "$SW/tiny2d.yaml" 2>&1); rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q "a real run removes the stale lock file .*d.h5.lock" && [ -e d.h5.lock ]; then
  ok "--dry-run reports the stale lock file and leaves it"
else not_ok "--dry-run reports the stale lock file and leaves it" "rc=$rc: $out"; fi
out=$(LD_PRELOAD=$PRELOAD "$IWS" -o d.h5 "$SW/tiny2d.yaml" 2>&1); rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q "removed the stale lock file .*d.h5.lock: its holder, pid $dead on this host, no longer runs" && [ ! -e d.h5.lock ]; then
  ok "stale lock file of a dead process on this host removed with a notice"
else not_ok "stale lock file of a dead process on this host removed with a notice" "rc=$rc: $out"; fi
echo "pid 4321 host node-elsewhere job 77 kind exclusive-file" >e.h5.lock
dry=$(LD_PRELOAD=$PRELOAD "$IWS" --dry-run -o e.h5 "$SW/tiny2d.yaml" 2>&1); drc=$?
out=$(LD_PRELOAD=$PRELOAD "$IWS" -o e.h5 "$SW/tiny2d.yaml" 2>&1); rc=$?
if [ $drc = $rc ] && [ "$dry" = "$out" ]; then ok "lock file of another host: --dry-run gives the same refusal"
else not_ok "lock file of another host: --dry-run gives the same refusal" "rc=$drc: $dry"; fi
if [ $rc = 2 ] && echo "$out" | grep -qF "store in use by host node-elsewhere pid 4321 (Slurm job 77)" &&
   echo "$out" | grep -qF "remove $IW_TMP/e.h5.lock" && [ -e e.h5.lock ] && [ ! -e e.h5 ]; then
  ok "lock file of another host: refused, says which file to remove once that sweep is gone"
else not_ok "lock file of another host: refused, says which file to remove" "rc=$rc: $out"; fi
finish
