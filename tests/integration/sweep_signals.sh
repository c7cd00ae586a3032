#!/usr/bin/env bash
# sweep_signals.sh — SIGTERM through mpirun (as Slurm and mpirun users send it) and SIGINT to a
# lone iwsweep: the sweep stops handing out runs, abandons the runs in flight, closes the store,
# prints how many runs are done and the exact command that resumes, and exits non-zero; that
# command then completes the sweep with metrics equal to an uninterrupted sweep's. mpirun's own
# 2 s SIGKILL grace is left at its default: the close has to beat it.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
SW=$ROOT/tests/sweeps

iw_mpirun 3 "$IWS" -o ref.h5 "$SW/slow2d.yaml" >ref.out 2>ref.err || not_ok "reference sweep" "$(tail -3 ref.err)"

# --- SIGTERM to mpirun, 3 ranks
setsid mpirun --oversubscribe -np 3 "$IWS" -o s.h5 "$SW/slow2d.yaml" >term.log 2>&1 &
JOB=$!
wait_for 60 grep -q '^\[1/6\]' term.log
t0=$(date +%s.%N)
kill -TERM $JOB
wait $JOB; rc=$?
t1=$(date +%s.%N)
echo "# SIGTERM to mpirun: exit $rc after $(echo "$t1 - $t0" | bc) s"
kill_job $JOB   # nothing should be left; make sure
msg=$(grep 'iwsweep: interrupted:' term.log)
if [ $rc != 0 ] && echo "$msg" | grep -Eq 'interrupted: [1-5] of 6 runs done; resume with: mpirun -np 3 .*iwsweep -o s.h5 .*slow2d.yaml'
then ok "SIGTERM via mpirun: non-zero exit, count and resume command"
else not_ok "SIGTERM via mpirun: non-zero exit, count and resume command" "rc=$rc: $(tail -5 term.log)"; fi
if grep -q 'stop requested' term.log && grep -q 'pending; store s.h5' term.log; then ok "stop announced, summary printed after the close"
else not_ok "stop announced, summary printed after the close" "$(tail -5 term.log)"; fi
if $PY -c "import h5py,sys; s=h5py.File('s.h5','r')['runs/status'][:]; sys.exit(0 if (s==0).any() and (s==1).any() else 1)"
then ok "store readable after SIGTERM, some runs pending"; else not_ok "store readable after SIGTERM, some runs pending" "status check failed"; fi

cmd=${msg#*resume with: }
eval "$cmd" >resume.out 2>resume.err; rc=$?
if [ $rc = 0 ] && h5diff -q s.h5 ref.h5 /metrics /metrics; then ok "the printed command resumes; metrics equal the uninterrupted sweep's"
else not_ok "the printed command resumes; metrics equal the uninterrupted sweep's" "rc=$rc ($cmd): $(tail -3 resume.err)"; fi

# --- SIGINT to iwsweep alone (one rank, as Ctrl-C would)
setsid "$IWS" -o i.h5 "$SW/slow2d.yaml" >int.log 2>&1 &
PID=$!
wait_for 60 grep -q '^\[1/6\]' int.log
kill -INT $PID
wait $PID; rc=$?
kill_job $PID
if [ $rc = 3 ] && grep -Eq 'interrupted: [1-5] of 6 runs done; resume with: .*iwsweep -o i.h5 ' int.log
then ok "SIGINT alone: exit 3 with count and resume command"; else not_ok "SIGINT alone: exit 3 with count and resume command" "rc=$rc: $(tail -4 int.log)"; fi
"$IWS" -o i.h5 "$SW/slow2d.yaml" >int2.out 2>int2.err; rc=$?
if [ $rc = 0 ] && h5diff -q i.h5 ref.h5 /metrics /metrics; then ok "resumed after SIGINT equals the uninterrupted sweep"
else not_ok "resumed after SIGINT equals the uninterrupted sweep" "rc=$rc: $(tail -3 int2.err)"; fi
finish
