#!/usr/bin/env bash
# cluster_slurm_requeue.sh — the multi-node batch script on a real multi-node Slurm: slurmctld and
# one slurmd per node of scripts/cluster-local.sh. sweeps/slurm/iwsweep-multi-node.sbatch is
# submitted with --nodes=3 --ntasks-per-node=2 (srun --mpi=pmix across the nodes) on
# tests/sweeps/resume2d.yaml; once a few runs are done the job is requeued with `scontrol requeue`.
# The job must go back to pending, restart (SLURM_RESTART_COUNT=1) and complete, with every run
# done exactly once (runs done before the requeue untouched; the others restart count 1; attempt 2
# only for the runs in flight at the requeue), the job id recorded, runs spread over the nodes,
# and /metrics and /boundary equal to a clean sweep (mpirun, 3 ranks on this machine).
source "$(dirname "$0")/lib.sh"
iw_tmpdir
source "$(dirname "$0")/lib_cluster.sh"
source "$(dirname "$0")/lib_slurm.sh"
cd "$ROOT" || exit 1
SWEEP=tests/sweeps/resume2d.yaml
STORE=$IW_TMP/slurm.h5
REF=$IW_TMP/ref.h5
OUT=$IW_TMP/job.out
ref_pid=

cluster_start "multi-node batch script requeued on a 3-node Slurm"
trap '[ -n "$ref_pid" ] && kill -KILL "$ref_pid" 2>/dev/null
      if [ "$IW_FAILED" != 0 ]; then echo "# ---- job output:"; tail -30 "$OUT" 2>/dev/null | sed "s/^/# /"; fi
      cluster_cleanup' EXIT
ok "3-node Slurm up: $(sinfo -h -o '%D nodes %t %N' | tr '\n' ' ')"

if ! job=$(sbatch_sweep sweeps/slurm/iwsweep-multi-node.sbatch --nodes=3 --ntasks-per-node=2); then
  not_ok "sbatch --nodes=3 accepts the batch script" "$(cat "$IW_TMP/sbatch.err")"; finish
fi
ok "sbatch --nodes=3 --ntasks-per-node=2 accepts the batch script (job $job)"

requeue_after_runs 3 120
ok "scontrol requeue after $n_before runs on $nodes_before: the job is pending again"
save_first_start
start_reference 3

wait_job_end 150
if [ "$st" = COMPLETED ] && [ "$exitcode" = 0:0 ] && [ "$restarts" = 1 ] && grep -q "start 1 on" "$OUT"; then
  ok "the requeued job restarts once (SLURM_RESTART_COUNT=1) on $(job_field "$job" NodeList) and completes"
else
  not_ok "the requeued job restarts once and completes" "state $st, exit code $exitcode, restarts $restarts"
fi

wait_reference "clean reference sweep (mpirun)"
# 5 workers: at most 5 runs in flight at the requeue
if why=$(runs_done_once 5 iwnode1 iwnode2 iwnode3); then ok "every run done exactly once, job id, restart count and hosts recorded ($why)"
else not_ok "every run done exactly once, job id, restart count and hosts recorded" "$why"; fi
same_as_reference "metrics and boundaries equal a clean sweep (h5diff)"
finish
