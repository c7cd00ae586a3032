#!/usr/bin/env bash
# sanitizer: no
# sweep_checkpoint_full.sh — a checkpoint is insurance, not a result. With checkpoint_every: 1:
#   - the checkpoint folder on a full file system (a 4 KiB tmpfs mounted at STORE.ckpt, filled):
#     every save fails with "No space left on device", each run warns exactly once, every run is
#     done, exit 0, and the metrics equal those of a sweep whose checkpoints worked (h5diff);
#   - STORE.ckpt a regular file (no folder can be made there): the same;
#   - a checkpoint that cannot be read (a symlink loop at run-0.ckpt): a warning, the run starts
#     from epoch 0 and is done, the same metrics.
# Needs root (mount); skipped otherwise. The tmpfs is unmounted by a trap.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
SWEEP=$ROOT/tests/sweeps/ckpt_every.yaml
mounted=""
trap '[ -n "$mounted" ] && umount "$mounted"; rm -rf "$IW_TMP"' EXIT

"$IWS" -o ref.h5 "$SWEEP" >ref.out 2>ref.err; rc=$?
if [ $rc = 0 ]; then ok "reference sweep with working checkpoints"; else not_ok "reference sweep with working checkpoints" "$(tail -3 ref.err)"; finish; fi
same_as_ref() { h5diff -q "$1" ref.h5 /metrics /metrics && h5diff -q "$1" ref.h5 /runs/status /runs/status; }
# one_warning_per_run LOG WHAT: each of the 2 runs warned exactly once, with WHAT in the message
one_warning_per_run() {
  local r n
  for r in 0 1; do
    n=$(grep -c "^iwsweep: warning: run $r: .*$2" "$1")
    [ "$n" = 1 ] || { echo "run $r: $n warnings"; return 1; }
  done
}
# check_case NAME STORE
check_case() {
  local name=$1 store=$2 rc=$3 why=""
  [ $rc = 0 ] || why="exit $rc;"
  grep -q "failed" "$name.out" "$name.err" && [ -n "$(grep -h ' [1-9][0-9]* failed' "$name.out")" ] && why="$why runs failed;"
  same_as_ref "$store" || why="$why metrics differ from the reference;"
  if [ -z "$why" ]; then ok "$name: every run done, metrics equal the reference"; else not_ok "$name: every run done, metrics equal the reference" "$why $(tail -4 "$name.err")"; fi
}

if [ "$(id -u)" != 0 ]; then
  skip "full checkpoint folder" "mounting a tmpfs needs root"
else
  mkdir full.h5.ckpt
  if mount -t tmpfs -o size=4k tmpfs full.h5.ckpt 2>mount.err; then
    mounted=$IW_TMP/full.h5.ckpt
    dd if=/dev/zero of=full.h5.ckpt/filler bs=4096 count=16 >/dev/null 2>&1   # fills it: ENOSPC
    "$IWS" -o full.h5 "$SWEEP" >full.out 2>full.err; rc=$?
    check_case full full.h5 $rc
    if w=$(one_warning_per_run full.err "cannot write checkpoint .*No space left on device"); then
      ok "full: one warning per run ($(grep -m1 'warning: run 0' full.err | cut -c1-110))"
    else not_ok "full: one warning per run" "$w: $(grep warning full.err | head -4)"; fi
    rm -f full.h5.ckpt/filler
    umount "$mounted" && mounted=""
  else
    skip "full checkpoint folder" "cannot mount a tmpfs here: $(cat mount.err)"
  fi
fi

touch file.h5.ckpt   # a file where the checkpoint folder should be
"$IWS" -o file.h5 "$SWEEP" >file.out 2>file.err; rc=$?
check_case file file.h5 $rc
if w=$(one_warning_per_run file.err "cannot write checkpoint"); then ok "file: one warning per run"
else not_ok "file: one warning per run" "$w: $(grep warning file.err | head -4)"; fi

mkdir loop.h5.ckpt && ln -s run-0.ckpt loop.h5.ckpt/run-0.ckpt   # ELOOP on open
"$IWS" -o loop.h5 "$SWEEP" >loop.out 2>loop.err; rc=$?
check_case loop loop.h5 $rc
if [ "$(grep -c '^iwsweep: warning: run 0: cannot read checkpoint .*the run starts from epoch 0' loop.err)" = 1 ]; then
  ok "loop: an unreadable checkpoint is one warning, the run starts afresh"
else not_ok "loop: an unreadable checkpoint is one warning, the run starts afresh" "$(grep warning loop.err | head -3)"; fi
finish
