#!/usr/bin/env bash
# sweep_resume_kill.sh — the durability contract: a 3-rank sweep is killed with SIGKILL (every
# process of the job) once some runs are done and others are in flight; the store still opens, every
# run marked done is complete, and re-running the same command finishes the sweep with metrics
# identical to an uninterrupted sweep's (h5diff). A second kill right after start-up is resumed too.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
SW=$ROOT/tests/sweeps

# start_job LOG ARGS...: mpirun -np 3 iwsweep ARGS in its own session; JOB = its session id
start_job() { local log=$1; shift; setsid mpirun --oversubscribe -np 3 "$IWS" "$@" >"$log" 2>&1 & JOB=$!; }

iw_mpirun 3 "$IWS" -o ref.h5 "$SW/slow2d.yaml" >ref.out 2>ref.err || not_ok "reference sweep" "$(tail -3 ref.err)"

# kill once 2 of 6 runs are done (the 2 workers are then busy with 2 more)
start_job run1.log -o s.h5 "$SW/slow2d.yaml"
if wait_for 60 grep -q '^\[2/6\]' run1.log; then kill_job $JOB; ok "killed mid-sweep after 2 runs"
else kill_job $JOB; not_ok "killed mid-sweep after 2 runs" "no progress: $(tail -3 run1.log)"; fi

$PY - s.h5 ref.h5 <<'PYEOF' >check.txt 2>&1
import sys, h5py, numpy as np
f, ref = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
st = f["runs/status"][:]
done = np.where(st == 1)[0]
bad = []
if not (2 <= len(done) < 6): bad.append("expected 2..5 runs done after the kill, status %s" % st)
for name in f["metrics"]:
    a, b = f["metrics/" + name][:], ref["metrics/" + name][:]
    if not np.array_equal(a[done], b[done], equal_nan=True): bad.append(name + " of a done run differs")
    if not np.isnan(a[st == 0]).all(): bad.append(name + " of a pending run is not NaN")
print("BAD " + "; ".join(bad) if bad else "GOOD %d done" % len(done))
PYEOF
if grep -q '^GOOD' check.txt; then ok "killed store opens; done runs intact, pending runs NaN ($(cut -d' ' -f2- check.txt))"
else not_ok "killed store opens; done runs intact, pending runs NaN" "$(cat check.txt)"; fi

# the same command again completes the sweep
iw_mpirun 3 "$IWS" -o s.h5 "$SW/slow2d.yaml" >run2.out 2>run2.err; rc=$?
if [ $rc = 0 ] && grep -q '6 done, 0 diverged, 0 failed, 0 pending' run2.out; then ok "re-run completes the sweep"
else not_ok "re-run completes the sweep" "rc=$rc: $(tail -3 run2.err run2.out)"; fi
if h5diff -q s.h5 ref.h5 /metrics /metrics && h5diff -q s.h5 ref.h5 /runs/status /runs/status; then ok "metrics equal the uninterrupted sweep's"
else not_ok "metrics equal the uninterrupted sweep's" "h5diff differs"; fi

# a kill right after start-up (store creation, first runs), then resume
start_job run3.log -o t.h5 "$SW/slow2d.yaml"
wait_for 30 grep -q "sweep 'slow2d'" run3.log; sleep 0.2; kill_job $JOB
iw_mpirun 3 "$IWS" -o t.h5 "$SW/slow2d.yaml" >run4.out 2>run4.err; rc=$?
if [ $rc = 0 ] && h5diff -q t.h5 ref.h5 /metrics /metrics; then ok "kill at start-up, resume equals the uninterrupted sweep"
else not_ok "kill at start-up, resume equals the uninterrupted sweep" "rc=$rc: $(tail -3 run4.err)"; fi
finish
