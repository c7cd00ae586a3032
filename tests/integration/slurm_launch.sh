#!/usr/bin/env bash
# sanitizer: no
# slurm_launch.sh — launching inside a real Slurm allocation (scripts/slurm-local.sh), one batch job
# that runs every case and logs each to its own file:
#   - ./run_sweep.sh honours IW_LAUNCHER=mpirun (launch line "mpirun", the sweep completes and its
#     table is printed) and IW_SRUN_MPI (launch line "srun --mpi=pmi2" / "--mpi=pmix"; with pmix
#     the sweep completes), as the batch scripts do;
#   - iwsweep started by srun as tasks that Open MPI does not join into one world: every task is
#     "rank 0 of 1". Stood in for by hiding SLURM_STEP_ID and the PMI-2 variables from the tasks
#     of `srun --mpi=pmi2 -n 2` (this Open MPI then starts each as a singleton, as Open MPI builds
#     without the matching PMI do): iwsweep stops with exit 2, the message (printed once) names
#     --mpi=pmix, and no store or lock file is made;
#   - no false alarm: `mpirun -np 1 iwsweep` and iwsweep alone in the batch script (one rank, the
#     allocation has 3 tasks) complete.
# Slurm is stopped and its folder removed at exit.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
SLDIR=$IW_TMP/slurm
cleanup() {
  if [ "$IW_FAILED" != 0 ]; then
    for o in "$IW_TMP"/*.log; do [ -f "$o" ] && { echo "# ---- $o:"; tail -8 "$o" | sed 's/^/# /'; }; done
  fi
  "$ROOT/scripts/slurm-local.sh" stop "$SLDIR" >/dev/null 2>&1
  rm -rf "$IW_TMP"
}
trap cleanup EXIT
source "$(dirname "$0")/lib_slurm.sh"
if [ "$(id -u)" != 0 ]; then skip "slurm launch" "the local Slurm needs root (SlurmUser=root)"; finish; fi
if ! env_line=$("$ROOT/scripts/slurm-local.sh" start "$SLDIR" 2>"$IW_TMP/start.err"); then
  not_ok "slurm starts" "$(tail -5 "$IW_TMP/start.err" | tr '\n' ' ')"; finish
fi
eval "$env_line"
T=$IW_TMP
cat >"$T/s.yaml" <<'YAML'
name: launch
data: {source: synthetic2d, train_per_class: 20, test_per_class: 20}
model: {kind: linear}
train: {epochs: 2, batch_size: 8}
grid: {importance_weight: [1, 4]}
YAML
cat >"$T/job.sh" <<JOB
#!/bin/bash
cd "$ROOT"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
IW_LAUNCHER=mpirun ./run_sweep.sh -n 2 -o "$T/mpirun.h5" "$T/s.yaml" >"$T/mpirun.log" 2>&1; echo "rc=\$?" >>"$T/mpirun.log"
IW_SRUN_MPI=pmix ./run_sweep.sh -n 2 -o "$T/pmix.h5" "$T/s.yaml" >"$T/pmix.log" 2>&1; echo "rc=\$?" >>"$T/pmix.log"
IW_SRUN_MPI=pmi2 timeout 60 ./run_sweep.sh -n 2 -o "$T/pmi2.h5" "$T/s.yaml" >"$T/pmi2.log" 2>&1; echo "rc=\$?" >>"$T/pmi2.log"
srun --mpi=pmi2 -n 2 env -u SLURM_STEP_ID -u SLURM_STEPID -u PMI_FD -u PMI_RANK -u PMI_SIZE -u PMI_JOBID \\
  "$BUILD/iwsweep" -o "$T/single.h5" "$T/s.yaml" >"$T/single.log" 2>&1; echo "rc=\$?" >>"$T/single.log"
mpirun -np 1 "$BUILD/iwsweep" -o "$T/np1.h5" "$T/s.yaml" >"$T/np1.log" 2>&1; echo "rc=\$?" >>"$T/np1.log"
"$BUILD/iwsweep" -o "$T/alone.h5" "$T/s.yaml" >"$T/alone.log" 2>&1; echo "rc=\$?" >>"$T/alone.log"
JOB
job=$(sbatch --parsable --ntasks=3 --overcommit --output="$T/job.out" "$T/job.sh") || { not_ok "sbatch" "refused"; finish; }
deadline=$((SECONDS + 240))
while [ $SECONDS -lt $deadline ]; do
  case "$(job_field "$job" JobState)" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL) break ;; esac
  sleep 0.5
done
rc_of() { sed -n 's/^rc=//p' "$T/$1.log" 2>/dev/null | tail -1; }

if grep -qs "^run_sweep.sh: mpirun --oversubscribe -np 2 build/iwsweep" "$T/mpirun.log" && [ "$(rc_of mpirun)" = 0 ] &&
   grep -qF "store $T/mpirun.h5: " "$T/mpirun.log"; then ok "run_sweep.sh in an allocation with IW_LAUNCHER=mpirun launches mpirun, table printed"
else not_ok "run_sweep.sh in an allocation with IW_LAUNCHER=mpirun launches mpirun" "rc=$(rc_of mpirun)"; fi
if grep -qs "^run_sweep.sh: srun --mpi=pmix -n 2 build/iwsweep" "$T/pmix.log" && [ "$(rc_of pmix)" = 0 ]; then
  ok "run_sweep.sh with IW_SRUN_MPI=pmix launches srun --mpi=pmix, the sweep completes"
else not_ok "run_sweep.sh with IW_SRUN_MPI=pmix launches srun --mpi=pmix" "rc=$(rc_of pmix)"; fi
if grep -qs "^run_sweep.sh: srun --mpi=pmi2 -n 2 build/iwsweep" "$T/pmi2.log"; then ok "run_sweep.sh with IW_SRUN_MPI=pmi2 launches srun --mpi=pmi2"
else not_ok "run_sweep.sh with IW_SRUN_MPI=pmi2 launches srun --mpi=pmi2" "rc=$(rc_of pmi2)"; fi

said=$(grep -cs "srun started 2 tasks, but this one is rank 0 of an MPI world of 1" "$T/single.log")
if [ "$said" = 1 ] && grep -q "(srun --mpi=pmi2)" "$T/single.log" && grep -q "srun --mpi=pmix" "$T/single.log" &&
   [ "$(rc_of single)" != 0 ] && ! ls "$T"/single.h5* >/dev/null 2>&1; then
  ok "singleton tasks under srun: stopped once with the --mpi to use, no store made"
else not_ok "singleton tasks under srun: stopped once with the --mpi to use, no store made" "said ${said:-0} times, rc=$(rc_of single), files: $(ls "$T"/single.h5* 2>/dev/null)"; fi
for c in np1 alone; do
  if [ "$(rc_of $c)" = 0 ] && grep -qs "2 runs: 2 done" "$T/$c.log"; then ok "no false alarm inside an allocation: $c"
  else not_ok "no false alarm inside an allocation: $c" "rc=$(rc_of $c)"; fi
done
finish
