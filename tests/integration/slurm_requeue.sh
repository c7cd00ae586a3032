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
if ! job=$(sbatch_sweep sweeps/slurm/iwsweep-single-node.sbatch --ntasks=3 --overcommit); then
  not_ok "sbatch accepts the batch script" "$(cat "$IW_TMP/sbatch.err")"; finish
fi
ok "sbatch accepts the batch script (job $job)"

requeue_after_runs 3 90
ok "scontrol requeue after $n_before runs: the job is pending again (reason $(job_field "$job" Reason))"
save_first_start
start_reference 3

wait_job_end 150
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

wait_reference "uninterrupted reference sweep (mpirun)"
# 2 workers: at most 2 runs in flight at the requeue
if why=$(runs_done_once 2); then ok "every run done exactly once, job id and restart count recorded ($why)"
else not_ok "every run done exactly once, job id and restart count recorded" "$why"; fi
same_as_reference "metrics and boundaries equal an uninterrupted mpirun sweep (h5diff)"
finish
