#!/usr/bin/env bash
# sweep_failures.sh — runs that go wrong: a run whose loss becomes non-finite is stored as
# diverged (status 2, finite before, NaN from its divergence on) and counts as done; a run that
# fails (IW_TEST_FAIL_RUN test hook) is stored as failed (status 3) while the other runs finish,
# the exit status is non-zero and the message names --retry-failed; a plain re-run leaves failed
# runs alone, --retry-failed reruns them (attempt 2) to the same metrics as a clean sweep; a second
# sweep started on a store in use is refused with a message.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
SW=$ROOT/tests/sweeps
status_is() { $PY -c "import h5py,sys; s=list(h5py.File('$1','r')['runs/status'][:]); sys.exit(0 if s==$2 else print(s) or 1)"; }

# --- divergence
iw_mpirun 3 "$IWS" -o div.h5 "$SW/diverge2d.yaml" >div.out 2>div.err; rc=$?
if [ $rc = 0 ] && grep -q '2 done, 2 diverged, 0 failed, 0 pending' div.out; then ok "diverged runs count as done (exit 0)"
else not_ok "diverged runs count as done (exit 0)" "rc=$rc: $(tail -3 div.err div.out)"; fi
$PY - div.h5 <<'PYEOF' >check.txt 2>&1
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
st, w = f["runs/status"][:], f["runs/importance_weight"][:]
loss = f["metrics/train_loss"][:]
bad = []
if list(st[w == 1]) != [1, 1] or list(st[w > 1]) != [2, 2]: bad.append("status %s" % st)
if not np.isfinite(loss[w == 1]).all(): bad.append("weight-1 runs not finite")
for r in np.where(w > 1)[0]:
    finite = np.isfinite(loss[r])
    first_nan = int(np.argmin(finite)) if not finite.all() else None
    if first_nan is None or first_nan == 0 or finite[first_nan:].any(): bad.append("run %d loss %s" % (r, loss[r]))
    for name in f["metrics"]:
        if np.isfinite(f["metrics/" + name][r, first_nan + 1:]).any(): bad.append(name + " finite after divergence")
print("BAD " + "; ".join(bad) if bad else "GOOD")
PYEOF
if grep -q '^GOOD' check.txt; then ok "diverged: finite before, NaN from the diverged epoch on"
else not_ok "diverged: finite before, NaN from the diverged epoch on" "$(cat check.txt)"; fi

# --- injected failures: runs 1 and 2 fail, 0 and 3 finish
iw_mpirun 3 "$IWS" -o ref.h5 "$SW/tiny2d.yaml" >ref.out 2>ref.err || not_ok "reference sweep" "$(tail -3 ref.err)"
IW_TEST_FAIL_RUN=1,2 iw_mpirun 3 -x IW_TEST_FAIL_RUN "$IWS" -o f.h5 "$SW/tiny2d.yaml" >f.out 2>f.err; rc=$?
if [ $rc = 1 ] && status_is f.h5 '[1, 3, 3, 1]'; then ok "failed runs recorded as status 3, the others done"
else not_ok "failed runs recorded as status 3, the others done" "rc=$rc: $(tail -4 f.err)"; fi
if grep -q 'run 1 failed on rank [12]: run 1: injected failure' f.err && grep -q '2 runs failed (messages above); rerun them with: .*--retry-failed' f.err
then ok "failure message and how to rerun"; else not_ok "failure message and how to rerun" "$(tail -5 f.err)"; fi

# a plain re-run does not touch failed runs
iw_mpirun 3 "$IWS" -o f.h5 "$SW/tiny2d.yaml" >g.out 2>g.err; rc=$?
if [ $rc = 1 ] && grep -q '0 to do' g.err && status_is f.h5 '[1, 3, 3, 1]'; then ok "plain re-run leaves failed runs (exit 1)"
else not_ok "plain re-run leaves failed runs (exit 1)" "rc=$rc: $(tail -3 g.err)"; fi
# ... and says where their messages are: not above (this start failed nothing), in the earlier start
if grep -q '2 runs failed (in an earlier start: its output has the messages); rerun them with: .*--retry-failed' g.err &&
   ! grep -q 'messages above' g.err; then ok "plain re-run: the failures are an earlier start's"
else not_ok "plain re-run: the failures are an earlier start's" "$(tail -3 g.err)"; fi

iw_mpirun 3 "$IWS" --retry-failed -o f.h5 "$SW/tiny2d.yaml" >h.out 2>h.err; rc=$?
if [ $rc = 0 ] && grep -q '2 to do' h.err && status_is f.h5 '[1, 1, 1, 1]'; then ok "--retry-failed reruns them"
else not_ok "--retry-failed reruns them" "rc=$rc: $(tail -3 h.err)"; fi
if h5diff -q f.h5 ref.h5 /metrics /metrics && \
   $PY -c "import h5py,sys; a=list(h5py.File('f.h5','r')['runs/attempt'][:]); sys.exit(0 if a==[1,2,2,1] else print(a) or 1)"
then ok "retried runs: attempt 2, metrics equal a clean sweep's"; else not_ok "retried runs: attempt 2, metrics equal a clean sweep's" "differs"; fi

# --- a second sweep on a store in use is refused
setsid mpirun --oversubscribe -np 2 "$IWS" -o busy.h5 "$SW/slow2d.yaml" >busy.log 2>&1 &
JOB=$!
wait_for 60 grep -q "sweep 'slow2d'" busy.log
"$IWS" -o busy.h5 "$SW/slow2d.yaml" >second.out 2>&1; rc=$?
kill -TERM $JOB; wait $JOB; kill_job $JOB
if [ $rc = 2 ] && grep -qi 'another sweep' second.out; then ok "second sweep on a busy store refused: $(head -1 second.out | cut -c1-100)"
else not_ok "second sweep on a busy store refused" "rc=$rc: $(cat second.out)"; fi
finish
