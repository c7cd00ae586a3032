#!/usr/bin/env bash
# sanitizer: no
# store_lock_identity.sh — the issue's case under a real mpirun: a sweep runs on real/s.h5 and a
# second one is started on alias.h5 -> real/s.h5 (a symlink made before the store existed), then on
# a hard link to the store, then through '..': each is refused with "store in use by host H pid P",
# trains nothing, and no lock file appears beside the other names. After the first sweep stops
# (SIGTERM), its lock file is gone, the symlink is still a symlink, and a sweep through the symlink
# resumes the one store. --dry-run through each name gives the same refusal and exit status (the
# hard link is caught by the test of the store file's own lock, F_OFD_GETLK).
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
SW=$ROOT/tests/sweeps
mkdir -p real other && ln -s real/s.h5 alias.h5

setsid mpirun --oversubscribe -np 2 "$IWS" -o real/s.h5 "$SW/slow2d.yaml" >first.log 2>&1 &
JOB=$!
if ! wait_for 60 grep -qs "sweep 'slow2d'" first.log; then not_ok "first sweep started" "$(tail -3 first.log)"; kill_job $JOB; finish; fi
holder_pid=$(sed -n 's/^pid \([0-9]*\) .*/\1/p' real/s.h5.lock)
want="store in use by host $(hostname) pid $holder_pid"
ln real/s.h5 other/hard.h5
# second NAME PATH: refused, with the holder, nothing trained
second() {
  local out rc
  out=$(iw_mpirun 2 "$IWS" -o "$2" "$SW/slow2d.yaml" 2>&1); rc=$?
  if [ $rc = 2 ] && echo "$out" | grep -qF "$want" && ! echo "$out" | grep -q "runs finished"; then
    ok "$1 refused: $(echo "$out" | grep -F "$want" | head -1 | cut -c1-130)"
  else not_ok "$1 refused with the holder ($want)" "rc=$rc: $out"; fi
  local dry drc
  dry=$("$IWS" --dry-run -o "$2" "$SW/slow2d.yaml" 2>&1); drc=$?
  if [ $drc = $rc ] && [ "$dry" = "$(echo "$out" | grep '^iwsweep:')" ]; then ok "$1: --dry-run gives the same refusal"
  else not_ok "$1: --dry-run gives the same refusal" "rc=$drc: $dry"; fi
}
second "symlink alias.h5 -> real/s.h5" alias.h5
second "hard link other/hard.h5" other/hard.h5
second "'..' path" real/../real/s.h5
second "absolute path" "$IW_TMP/real/s.h5"
locks=$(ls ./*.lock real/*.lock other/*.lock 2>/dev/null | tr '\n' ' ')
if [ "$locks" = "real/s.h5.lock " ]; then ok "one lock file, beside the real store"; else not_ok "one lock file, beside the real store" "$locks"; fi

# SIGTERM to the ranks themselves (mpirun SIGKILLs them ~2 s after forwarding one, which a loaded
# machine can outlast), then wait for the sweep to end
kill -TERM $(ps -o pid=,comm= -s $JOB | awk '$2 == "iwsweep" { print $1 }') 2>/dev/null
wait $JOB; kill_job $JOB
if [ ! -e real/s.h5.lock ] && [ -L alias.h5 ]; then ok "after the first sweep: lock file removed, alias.h5 still a symlink"
else not_ok "after the first sweep: lock file removed, alias.h5 still a symlink" "$(ls -l . real)"; fi
rm -f other/hard.h5
"$IWS" -o alias.h5 "$SW/slow2d.yaml" >again.log 2>&1 &
p=$!
wait_for 60 grep -qs "sweep 'slow2d'" again.log
kill -TERM $p 2>/dev/null; wait $p
if grep -q "store alias.h5 (resumed" again.log && [ -L alias.h5 ] && [ ! -e alias.h5.lock ]; then
  ok "a sweep through the symlink resumes the real store"
else not_ok "a sweep through the symlink resumes the real store" "$(cat again.log)"; fi
finish
