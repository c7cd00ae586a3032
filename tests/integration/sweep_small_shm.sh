#!/usr/bin/env bash
# sanitizer: no
# sweep_small_shm.sh — issue 9 item 1, the case shown: a shared-memory folder too small for the
# node's copy of the data (a tmpfs of 256 KiB standing in for a container's /dev/shm, named by
# OMPI_MCA_osc_sm_backing_directory; a sweep with train_per_class 20000, about 470 KiB of data).
# Open MPI used to print "not enough space" inside MPI_Win_allocate_shared on node rank 0 while the
# other ranks waited inside it for ever. Now, within seconds, every rank keeps a private copy and
# the sweep finishes, with one warning naming the folder, its free space, the size asked for and
# the memory it costs. Also: a backing folder that does not exist; the folder given as
# `mpirun --mca osc_sm_backing_directory` (read through MPI_T, not only from the environment);
# and a folder with room, where the copy is shared and nothing is said.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
trap 'umount "$IW_TMP/shm" "$IW_TMP/roomy" 2>/dev/null; rm -rf "$IW_TMP"' EXIT
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
mkdir shm roomy
if ! mount -t tmpfs -o size=256k tmpfs shm 2>mount.err || ! mount -t tmpfs -o size=4m tmpfs roomy 2>>mount.err; then
  skip "small shared-memory folder" "cannot mount a tmpfs here: $(head -1 mount.err)"
  finish
fi
cat >big.yaml <<'YAML'
name: t-base
data: {source: synthetic2d, train_per_class: 20000, test_per_class: 20}
model: {kind: linear}
train: {epochs: 1, batch_size: 8, lr: 0.1}
grid: {importance_weight: [1, 4], seed: [0]}
YAML

# sweep NAME STORE MPIRUN_ARGS...: 3 ranks in their own session, at most 60 s; sets rc, secs, left
sweep() {
  local store=$1; shift
  local t0 t1
  t0=$(date +%s%N)
  setsid timeout 60 mpirun --oversubscribe -np 3 "$@" "$IWS" -o "$store" big.yaml >"$store.out" 2>"$store.err" &
  local sid=$!
  wait $sid; rc=$?
  t1=$(date +%s%N)
  secs=$(( (t1 - t0) / 1000000000 ))
  sleep 0.2
  left=$(ps -o pid=,stat=,args= -s "$sid" 2>/dev/null | awk '$2 !~ /^Z/')
  [ -n "$left" ] && kill_job "$sid"
}
all_done() { $PY -c 'import h5py, sys; s = h5py.File(sys.argv[1], "r")["runs/status"][:]; sys.exit(0 if (s == 1).all() else 1)' "$1"; }

# case NAME STORE FOLDER_SHOWN EXPECT_WARNING(1/0) MPIRUN_ARGS...
case_() {
  local name=$1 store=$2 folder=$3 warn=$4; shift 4
  sweep "$store" "$@"
  local why="" w
  w=$(grep -c "iwsweep: warning: shared memory on" "$store.err")
  [ $rc = 0 ] || why="$why exit $rc;"
  [ "$secs" -lt 30 ] || why="$why took ${secs}s;"
  [ -z "$left" ] || why="$why left running: $left;"
  all_done "$store" 2>/dev/null || why="$why not every run done;"
  if [ "$warn" = 1 ]; then
    [ "$w" = 1 ] || why="$why $w warnings, expected 1;"
    grep -q "the folder $folder (Open MPI's shared-memory backing folder)" "$store.err" || why="$why folder not named;"
    grep -q "asks for [0-9.]* KiB (469.5 KiB of data and Open MPI's margin)" "$store.err" || why="$why size asked for not named;"
    grep -q "each of the 3 ranks on .* keeps a private copy instead, 3 x 469.5 KiB = 1.4 MiB of memory" "$store.err" ||
      why="$why cost not named;"
  else
    [ "$w" = 0 ] || why="$why a warning without cause;"
  fi
  if [ -z "$why" ]; then ok "$name: exit 0 in ${secs}s, every run done$([ "$warn" = 1 ] && echo ', one warning with folder, size and cost')"
  else not_ok "$name" "$why $(grep -v '^\[' "$store.err" | head -12 | tr '\n' ' ')"; fi
}

case_ "a 256 KiB shared-memory folder (the issue's case)" small.h5 "$IW_TMP/shm" 1 \
  -x OMPI_MCA_osc_sm_backing_directory="$IW_TMP/shm"
grep -q "has 256.0 KiB free" small.h5.err && ok "the warning gives the folder's free space (256.0 KiB)" ||
  not_ok "the warning gives the folder's free space" "$(grep warning small.h5.err)"
case_ "a backing folder that does not exist" gone.h5 "$IW_TMP/none" 1 \
  -x OMPI_MCA_osc_sm_backing_directory="$IW_TMP/none"
grep -q "cannot be used (No such file or directory)" gone.h5.err && ok "the warning says why the folder cannot be used" ||
  not_ok "the warning says why the folder cannot be used" "$(grep warning gone.h5.err)"
case_ "the folder given by mpirun --mca osc_sm_backing_directory" mca.h5 "$IW_TMP/shm" 1 \
  --mca osc_sm_backing_directory "$IW_TMP/shm"
case_ "a folder with room: one shared copy, no warning" roomy.h5 "" 0 \
  -x OMPI_MCA_osc_sm_backing_directory="$IW_TMP/roomy"
finish
