#!/usr/bin/env bash
# sanitizer: no
# sweep_collective_faults.sh — issue 9 item 1: one rank failing at any collective step ends the
# whole job cleanly, never a hang. For each step, IW_TEST_FAIL_STEP=<step>:<rank> (fault.h) makes
# one rank fail there, under a real mpirun of 3 ranks started in its own session, resuming an
# existing store (run 0 done, runs 1..3 failed: --retry-failed gives the job work). Each case asserts:
#   - the job ends within 30 s (the command runs under `timeout 90`: a hang shows as a slow case);
#   - the exit status is the step's (2 for bad input, 1 otherwise);
#   - stderr names the failing rank and the reason ("rank R: injected failure at step S");
#   - no process of the job's session is left running;
#   - the store is unharmed: it opens in h5py, run 0 is still done with the metrics it had, every
#     run marked done has complete metrics, and (when rank 0 was not killed) no lock file is left.
# Steps whose failure is a rank's own error (load_spec, check_inputs, node_data, open_store, plan,
# prepare_workers, close_store) are agreed: every rank stops with that message. At the barrier
# before close and the last barrier (finalize) the rank exits at once, as a crashed rank would:
# mpirun then ends the others. Also: a run whose result cannot be written (write_run) stays pending,
# the sweep stops with the resume command, and resuming finishes it.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
cat >s.yaml <<'YAML'
name: faults
data: {source: synthetic2d, train_per_class: 20, test_per_class: 20}
model: {kind: linear}
train: {epochs: 3, batch_size: 8, lr: 0.1}
grid: {importance_weight: [1, 4], seed: [0, 1]}
YAML

# job STORE ARGS...: a 3-rank job in its own session; sets rc, secs, left (processes still there)
job() {
  local store=$1; shift
  local t0 t1
  t0=$(date +%s%N)
  setsid timeout 90 mpirun --oversubscribe -np 3 -x IW_TEST_FAIL_STEP -x IW_TEST_FAIL_RUN \
    "$IWS" -o "$store" "$@" >job.out 2>job.err &
  local sid=$!
  wait $sid; rc=$?
  t1=$(date +%s%N)
  secs=$(( (t1 - t0) / 1000000000 ))
  sleep 0.2
  left=$(ps -o pid=,stat=,args= -s "$sid" 2>/dev/null | awk '$2 !~ /^Z/')   # zombies are not running
  [ -n "$left" ] && kill_job "$sid"
}

# the existing store: run 0 done, runs 1, 2, 3 failed
IW_TEST_FAIL_STEP="" IW_TEST_FAIL_RUN=1,2,3 job base.h5 s.yaml
if [ $rc = 1 ] && [ -f base.h5 ]; then ok "the existing store: run 0 done, runs 1..3 failed"
else not_ok "the existing store: run 0 done, runs 1..3 failed" "rc=$rc: $(cat job.err)"; finish; fi
$PY -c 'import h5py, sys, numpy as np; np.save(sys.argv[2], h5py.File(sys.argv[1], "r")["metrics/train_loss"][0])' \
  base.h5 run0.npy

# unharmed STORE: opens, run 0 done with its metrics, every done run complete
unharmed() {
  $PY - "$1" run0.npy <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    status = f["runs/status"][:]
    assert status[0] == 1, f"run 0 has status {status[0]}"
    assert np.array_equal(f["metrics/train_loss"][0], np.load(sys.argv[2]), equal_nan=True), "run 0 changed"
    for r in np.flatnonzero(status == 1):
        for m in ("train_loss", "train_acc", "test_acc", "test_frac_positive", "weight_norm"):
            assert np.isfinite(f["metrics"][m][r]).all(), f"run {r} marked done with missing {m}"
PY
}

# fault STEP RANK EXPECTED_RC CRASH(0/1)
fault() {
  local step=$1 r=$2 want=$3 crash=$4 name="$1 fails on rank $2"
  cp base.h5 "$step.h5"
  IW_TEST_FAIL_STEP="$step:$r" IW_TEST_FAIL_RUN="" job "$step.h5" --retry-failed s.yaml
  local why=""
  [ "$secs" -lt 30 ] || why="$why took ${secs}s;"
  [ $rc = "$want" ] || why="$why exit $rc, expected $want;"
  local named="rank $r: .*injected failure at step $step"   # rank 0's messages carry no prefix
  [ "$r" = 0 ] && named="injected failure at step $step (IW_TEST_FAIL_STEP=$step:0)"
  grep -q "$named" job.err || why="$why no '$named' on stderr;"
  [ -z "$left" ] || why="$why left running: $left;"
  unharmed "$step.h5" >unharmed.out 2>&1 || why="$why store harmed: $(tail -1 unharmed.out);"
  if [ "$crash" = 0 ] && [ -e "$step.h5.lock" ]; then why="$why lock file left;"; fi
  if [ -z "$why" ]; then ok "$name: the job ends in ${secs}s, exit $rc, rank and reason named, store unharmed"
  else not_ok "$name" "$why $(grep -v '^\[' job.err | head -5 | tr '\n' ' ')"; fi
}

fault load_spec 2 2 0
fault check_inputs 1 2 0
fault node_data 2 1 0
fault open_store 1 2 0
fault plan 2 1 0
fault prepare_workers 1 1 0
fault barrier 2 1 1
fault close_store 1 1 0
fault finalize 1 1 1
fault open_store 0 2 0

# a run whose result cannot be written stays pending; the sweep stops with the resume command
IW_TEST_FAIL_STEP="write_run:1" IW_TEST_FAIL_RUN="" job w.h5 s.yaml
pending=$($PY -c 'import h5py, sys; print(int((h5py.File(sys.argv[1], "r")["runs/status"][:] == 0).sum()))' w.h5)
if [ $rc = 1 ] && [ "$secs" -lt 30 ] && [ -z "$left" ] && [ "$pending" -ge 1 ] &&
   grep -q "rank 1: run [0-9]*: cannot write it to the store (its status there is unchanged: a resume reruns it)" job.err &&
   grep -q "runs not finished; once the cause above is fixed, resume with: mpirun -np 3 .*s.yaml" job.err; then
  ok "a run that cannot be written stays pending ($pending), exit 1, the resume command printed"
else not_ok "a run that cannot be written stays pending" "rc=$rc pending=$pending: $(grep -v '^\[' job.err | tr '\n' ' ')"; fi
IW_TEST_FAIL_STEP="" IW_TEST_FAIL_RUN="" job w.h5 s.yaml
status=$($PY -c 'import h5py, sys; print(*h5py.File(sys.argv[1], "r")["runs/status"][:])' w.h5)
if [ $rc = 0 ] && [ "$status" = "1 1 1 1" ]; then ok "resuming finishes it: every run done"
else not_ok "resuming finishes it" "rc=$rc status=$status: $(tail -3 job.err | tr '\n' ' ')"; fi
finish
