# lib_slurm.sh — helpers shared by the tests that drive the local Slurm (sourced after lib.sh).

# job_field JOB FIELD: one field of `scontrol show job` (e.g. JobState, Restarts)
job_field() { scontrol show job -o "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }

# wait_done STORE N SECONDS JOB: wait until the store has at least N runs done; prints "n of R";
# gives up early when the job has ended
wait_done() {
  "$PY" - "$@" <<'PYEOF'
import sys, time, subprocess, h5py, numpy as np
path, need, limit, job = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
end, n, r, polls = time.time() + limit, -1, "?", 0
def job_over():
    out = subprocess.run(["scontrol", "show", "job", "-o", job], capture_output=True, text=True).stdout
    return not any(("JobState=" + s) in out for s in ("PENDING", "RUNNING", "CONFIGURING", "REQUEUED"))
while time.time() < end:
    polls += 1
    if polls % 10 == 0 and job_over():
        break
    try:
        with h5py.File(path, "r") as f:
            s = f["runs/status"][...]
        n, r = int(np.isin(s, (1, 2)).sum()), len(s)
        if n >= need:
            print("%d of %d" % (n, r)); sys.exit(0)
    except Exception:   # a file being written may not open at every instant
        pass
    time.sleep(0.1)
print("%d of %s" % (n, r)); sys.exit(1)
PYEOF
}

# ---- a sweep job requeued mid-sweep (slurm_requeue.sh on one node, cluster_slurm_requeue.sh on
# three): submit, requeue once a few runs are done, let it restart and complete, then compare its
# store with an uninterrupted sweep. The caller sets SWEEP (the sweep file), STORE (the job's
# store), REF (the reference store), OUT (the job's output file) and IW_TMP; these functions set
# job, n_before, nodes_before, st, restarts, exitcode and ref_pid (the caller's EXIT trap should
# kill a ref_pid still set). A step that leaves nothing to test reports "not ok" and finishes.

# sbatch_sweep BATCH_SCRIPT SBATCH_OPTION...: submits the batch script on SWEEP and STORE (output
# to OUT) and prints the job id; non-zero with sbatch's message in IW_TMP/sbatch.err on refusal
sbatch_sweep() {
  local script=$1 id; shift
  id=$(IW_BIN=$BUILD/iwsweep IW_ROOT=$ROOT sbatch --parsable "$@" --output="$OUT" \
       "$script" "$SWEEP" "$STORE" 2>"$IW_TMP/sbatch.err")
  [ -n "$id" ] && echo "$id"
}

# requeue_after_runs N SECONDS: waits (up to SECONDS) until N runs of STORE are done, then
# `scontrol requeue` the job and waits (up to 60 s) until it is pending again, i.e. every task
# has closed the store and ended. Sets n_before ("n of R") and nodes_before (its NodeList).
requeue_after_runs() {
  if ! n_before=$(wait_done "$STORE" "$1" "$2" "$job"); then
    not_ok "a few runs are done before the requeue" "only ${n_before} done after $2 s; job state $(job_field "$job" JobState)"; finish
  fi
  nodes_before=$(job_field "$job" NodeList)
  scontrol requeue "$job" || { not_ok "scontrol requeue" "refused"; finish; }
  local deadline=$((SECONDS + 60))
  while [ $SECONDS -lt $deadline ]; do
    st=$(job_field "$job" JobState)
    [ "$st" = PENDING ] && break
    sleep 0.2
  done
  if [ "$st" != PENDING ]; then not_ok "requeued job goes back to pending" "state $st after 60 s"; finish; fi
}

# save_first_start: what the first start left (status, wall seconds, test accuracy per run) in
# IW_TMP/before.npz: the runs done then must stay untouched by the second start
save_first_start() {
  "$PY" - "$STORE" "$IW_TMP/before.npz" <<'PYEOF' || not_ok "store readable after the requeue" "h5py could not read it"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    np.savez(sys.argv[2], status=f["runs/status"][...], wall=f["runs/wall_seconds"][...],
             test_acc=f["metrics/test_acc"][...])
PYEOF
}

# start_reference NP: the uninterrupted sweep of SWEEP into REF (mpirun, NP ranks on this
# machine) in the background, while the job waits out its restart delay; sets ref_pid
start_reference() {
  iw_mpirun "$1" "$BUILD/iwsweep" -o "$REF" "$SWEEP" >"$IW_TMP/ref.out" 2>&1 &
  ref_pid=$!
}

# wait_job_end SECONDS: waits until the job is in a final state; sets st, restarts, exitcode
wait_job_end() {
  local deadline=$((SECONDS + $1))
  while [ $SECONDS -lt $deadline ]; do
    st=$(job_field "$job" JobState)
    case "$st" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE) break ;; esac
    sleep 0.5
  done
  restarts=$(job_field "$job" Restarts)
  exitcode=$(job_field "$job" ExitCode)
}

# wait_reference NAME: waits for start_reference's sweep; "not ok - NAME" and finish if it failed
wait_reference() {
  local rc
  wait "$ref_pid"; rc=$?; ref_pid=
  if [ "$rc" != 0 ]; then not_ok "$1" "exit $rc: $(tail -3 "$IW_TMP/ref.out" | tr '\n' ' ')"; finish; fi
}

# runs_done_once IN_FLIGHT [HOST...]: checks the requeued job's STORE against IW_TMP/before.npz:
# every run done; /runs/slurm_job_id = job; the runs done before the requeue untouched (attempt
# 1, restart count 0, same wall seconds and test accuracy); the others restart count 1, attempt
# 1, or 2 for at most IN_FLIGHT runs (one in flight per worker at the requeue). With HOSTs, every
# run's /runs/host is one of them and at least two are used. Prints what is wrong, or a summary
# (with HOSTs: runs per host; without: the attempts after the requeue); 0 when nothing is wrong.
runs_done_once() {
  "$PY" - "$STORE" "$IW_TMP/before.npz" "$job" "$@" <<'PYEOF'
import sys, h5py, numpy as np
path, before, job, in_flight = sys.argv[1], np.load(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
hosts = set(sys.argv[5:])
bad = []
with h5py.File(path, "r") as f:
    r = {k: f["runs/" + k][...] for k in ("status", "attempt", "slurm_job_id", "slurm_restart_count", "wall_seconds")}
    acc = f["metrics/test_acc"][...]
    if hosts:
        host = f["runs/host"][:].view("S64")[:, 0].astype(str)
first = np.isin(before["status"], (1, 2))
if not np.all(r["status"] == 1):
    bad.append("status not all done: %s" % r["status"].tolist())
if np.any(r["slurm_job_id"] != job):
    bad.append("slurm_job_id %s, expected %d" % (r["slurm_job_id"].tolist(), job))
if np.any(r["attempt"][first] != 1) or np.any(r["slurm_restart_count"][first] != 0):
    bad.append("runs done before the requeue: attempt %s restart %s (want 1, 0)"
               % (r["attempt"][first].tolist(), r["slurm_restart_count"][first].tolist()))
if np.any(r["wall_seconds"][first] != before["wall"][first]) or \
   not np.array_equal(acc[first], before["test_acc"][first]):
    bad.append("runs done before the requeue were written again")
if np.any(r["slurm_restart_count"][~first] != 1):
    bad.append("runs done after the requeue: restart count %s (want 1)" % r["slurm_restart_count"][~first].tolist())
att = r["attempt"][~first]
if np.any((att < 1) | (att > 2)) or np.sum(att == 2) > in_flight:
    bad.append("runs done after the requeue: attempt %s (want 1, or 2 for the <= %d in flight)"
               % (att.tolist(), in_flight))
if hosts:
    if not set(host) <= hosts or len(set(host)) < 2:
        bad.append("hosts %s: expected runs on several of %s" % (sorted(set(host)), ", ".join(sorted(hosts))))
    counts = {h: int((host == h).sum()) for h in sorted(set(host))}
    summary = "%d runs before the requeue, %d after; runs per host %s" % (first.sum(), (~first).sum(), counts)
else:
    summary = "%d runs done in the first start, %d after; attempts after: %s" % (first.sum(), (~first).sum(), att.tolist())
print("; ".join(bad) if bad else summary)
sys.exit(1 if bad else 0)
PYEOF
}

# same_as_reference NAME: "ok - NAME" when /metrics and /boundary of STORE equal REF's (h5diff)
same_as_reference() {
  local d d2=
  if d=$(h5diff "$REF" "$STORE" /metrics /metrics 2>&1) && d2=$(h5diff "$REF" "$STORE" /boundary /boundary 2>&1); then
    ok "$1"
  else
    not_ok "$1" "$(echo "$d $d2" | head -5 | tr '\n' ' ')"
  fi
}
