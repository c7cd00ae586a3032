#!/usr/bin/env bash
# slurm_requeue.sh — a real Slurm (scripts/slurm-local.sh: slurmctld, slurmd, munged on this
# machine) runs sweeps/slurm/iwsweep-single-node.sbatch (srun --mpi=pmix) on tests/sweeps/resume2d.yaml;
# once a few runs are done the job is requeued with `scontrol requeue`. Checks that the job
# restarts (SLURM_RESTART_COUNT=1) and completes, that every run is done exactly once (runs done
# before the requeue untouched, attempt 1, restart count 0; the others restart count 1), that
# /runs/slurm_job_id names the job, and that /metrics and /boundary equal an uninterrupted sweep
# run with mpirun. Slurm is stopped and its folder removed at exit, whatever happened.
. "$(dirname "$0")/lib.sh"
iw_tmpdir
SWEEP=tests/sweeps/resume2d.yaml
STORE=$IW_TMP/slurm.h5
REF=$IW_TMP/ref.h5
OUT=$IW_TMP/job.out
SLDIR=$IW_TMP/slurm
ref_pid=
export HDF5_USE_FILE_LOCKING=FALSE

cleanup() {
  if [ "$IW_FAILED" != 0 ] || [ -n "${IW_SHOW_OUTPUT:-}" ]; then
    echo "# ---- job output:"; sed 's/^/# /' "$OUT" 2>/dev/null | tail -40
    for f in slurmctld slurmd; do echo "# ---- $f.log:"; tail -8 "$SLDIR/log/$f.log" 2>/dev/null | sed 's/^/# /'; done
  fi
  [ -n "$ref_pid" ] && kill -KILL "$ref_pid" 2>/dev/null
  "$ROOT/scripts/slurm-local.sh" stop "$SLDIR" >/dev/null 2>&1
  rm -rf "$IW_TMP"
}
trap cleanup EXIT
cd "$ROOT" || exit 1

. "$(dirname "$0")/lib_slurm.sh"

if [ "$(id -u)" != 0 ]; then not_ok "slurm starts" "needs root (SlurmUser=root)"; finish; fi
if ! env_line=$("$ROOT/scripts/slurm-local.sh" start "$SLDIR" 2>"$IW_TMP/start.err"); then
  not_ok "slurm starts" "$(tail -5 "$IW_TMP/start.err" | tr '\n' ' ')"; finish
fi
eval "$env_line"
ok "slurm starts (single node, munge, pmix: $(srun --mpi=list 2>&1 | grep -c pmix) pmix plugin lines)"

# 3 tasks on the 2-core node (rank 0 schedules): --overcommit, as the script's comment says
job=$(IW_BIN=$BUILD/iwsweep IW_ROOT=$ROOT sbatch --parsable --ntasks=3 --overcommit --output="$OUT" \
      sweeps/slurm/iwsweep-single-node.sbatch "$SWEEP" "$STORE" 2>"$IW_TMP/sbatch.err")
if [ -z "$job" ]; then not_ok "sbatch accepts the batch script" "$(cat "$IW_TMP/sbatch.err")"; finish; fi
ok "sbatch accepts the batch script (job $job)"

if ! n_before=$(wait_done "$STORE" 3 90 "$job"); then
  not_ok "a few runs are done before the requeue" "only ${n_before} done after 90 s; job state $(job_field "$job" JobState)"; finish
fi
scontrol requeue "$job" || { not_ok "scontrol requeue" "refused"; finish; }
# the job is pending again once every task has closed the store and ended
deadline=$((SECONDS + 60))
while [ $SECONDS -lt $deadline ]; do
  st=$(job_field "$job" JobState)
  [ "$st" = PENDING ] && break
  sleep 0.2
done
if [ "$st" != PENDING ]; then not_ok "requeued job goes back to pending" "state $st after 60 s"; finish; fi
ok "scontrol requeue after $n_before runs: the job is pending again (reason $(job_field "$job" Reason))"

# What the first start left: the runs done then must stay untouched by the second start.
"$PY" - "$STORE" "$IW_TMP/before.npz" <<'EOF' || not_ok "store readable after the requeue" "h5py could not read it"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    np.savez(sys.argv[2], status=f["runs/status"][...], wall=f["runs/wall_seconds"][...],
             test_acc=f["metrics/test_acc"][...])
EOF

# The uninterrupted reference, while the job waits out its restart delay.
iw_mpirun 3 "$BUILD/iwsweep" -o "$REF" "$SWEEP" >"$IW_TMP/ref.out" 2>&1 &
ref_pid=$!

deadline=$((SECONDS + 150))
while [ $SECONDS -lt $deadline ]; do
  st=$(job_field "$job" JobState)
  case "$st" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE) break ;; esac
  sleep 0.5
done
restarts=$(job_field "$job" Restarts)
exitcode=$(job_field "$job" ExitCode)
if [ "$st" = COMPLETED ] && [ "$exitcode" = 0:0 ] && [ "$restarts" = 1 ]; then
  ok "requeued job restarts once and completes (exit $exitcode)"
else
  not_ok "requeued job restarts once and completes" "state $st, exit code $exitcode, restarts $restarts"
fi
if grep -q "start 0 on" "$OUT" && grep -q "start 1 on" "$OUT"; then
  ok "one output file keeps both starts (--open-mode=append), SLURM_RESTART_COUNT 1 on the second"
else
  not_ok "one output file keeps both starts (--open-mode=append)" "start lines: $(grep -c ' start ' "$OUT")"
fi
if grep -q "resume with" "$OUT"; then
  ok "the requeued start said how many runs were done and how to resume"
else
  not_ok "the requeued start said how many runs were done and how to resume" "no 'resume with' line in the job output"
fi

wait "$ref_pid"; ref_rc=$?; ref_pid=
if [ "$ref_rc" != 0 ]; then not_ok "uninterrupted reference sweep (mpirun)" "exit $ref_rc: $(tail -3 "$IW_TMP/ref.out" | tr '\n' ' ')"; finish; fi

if why=$("$PY" - "$STORE" "$IW_TMP/before.npz" "$job" <<'EOF'
import sys, h5py, numpy as np
path, before, job = sys.argv[1], np.load(sys.argv[2]), int(sys.argv[3])
bad = []
with h5py.File(path, "r") as f:
    r = {k: f["runs/" + k][...] for k in ("status", "attempt", "slurm_job_id", "slurm_restart_count", "wall_seconds")}
    acc = f["metrics/test_acc"][...]
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
# a run in flight at the requeue started twice (attempt 2); at most one per worker (2 here)
att = r["attempt"][~first]
if np.any((att < 1) | (att > 2)) or np.sum(att == 2) > 2:
    bad.append("runs done after the requeue: attempt %s (want 1, or 2 for the <= 2 in flight)" % att.tolist())
print("; ".join(bad) if bad else "%d runs done in the first start, %d after; attempts after: %s"
      % (first.sum(), (~first).sum(), att.tolist()))
sys.exit(1 if bad else 0)
EOF
); then ok "every run done exactly once, job id and restart count recorded ($why)"
else not_ok "every run done exactly once, job id and restart count recorded" "$why"; fi

if d=$(h5diff "$REF" "$STORE" /metrics /metrics 2>&1) && d2=$(h5diff "$REF" "$STORE" /boundary /boundary 2>&1); then
  ok "metrics and boundaries equal an uninterrupted mpirun sweep (h5diff)"
else
  not_ok "metrics and boundaries equal an uninterrupted mpirun sweep (h5diff)" "$(echo "$d ${d2:-}" | head -5 | tr '\n' ' ')"
fi
finish
