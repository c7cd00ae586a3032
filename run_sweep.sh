#!/usr/bin/env bash
# run_sweep.sh — one command that does everything: install what is missing, build, run a sweep on
# all local cores (or inside the Slurm allocation it runs in), and print the summary table.
#
#   ./run_sweep.sh [-n RANKS] [-o STORE] [SWEEP_FILE]
#
#   SWEEP_FILE  default sweeps/default.yaml
#   -n RANKS    MPI ranks; default cores + 1 (rank 0 only schedules and sleeps between messages,
#               every other rank trains one run at a time with one OpenBLAS thread)
#   -o STORE    the HDF5 store; default results/<name>.h5 (name from the sweep file)
# Re-running the same command resumes the store: only runs not done are trained. Inside a Slurm
# allocation (SLURM_JOB_ID set) it launches on the allocation's tasks as the batch scripts do:
# IW_LAUNCHER=srun (default; srun --mpi=$IW_SRUN_MPI, default pmix) or IW_LAUNCHER=mpirun.
set -u
ROOT=$(cd "$(dirname "$0")" && pwd)
cd "$ROOT"

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
ranks="" store="" sweep=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    -n) [ $# -ge 2 ] || { echo "run_sweep.sh: -n needs a number of ranks" >&2; exit 2; }
        ranks=$2; shift 2 ;;
    -o) [ $# -ge 2 ] || { echo "run_sweep.sh: -o needs a store path" >&2; exit 2; }
        store=$2; shift 2 ;;
    -*) echo "run_sweep.sh: unknown option '$1' (see ./run_sweep.sh -h)" >&2; exit 2 ;;
    *)  [ -z "$sweep" ] || { echo "run_sweep.sh: one sweep file expected, got '$sweep' and '$1'" >&2; exit 2; }
        sweep=$1; shift ;;
  esac
done
sweep=${sweep:-sweeps/default.yaml}
[ -f "$sweep" ] || { echo "run_sweep.sh: sweep file '$sweep' not found" >&2; exit 2; }
if [ -n "$ranks" ] && ! [ "$ranks" -ge 1 ] 2>/dev/null; then
  echo "run_sweep.sh: -n expects a whole number >= 1, got '$ranks'" >&2; exit 2
fi

scripts/deps.sh run || exit 1
nice make --no-print-directory -s build >/tmp/iwsweep-build.$$.log 2>&1 || {
  echo "run_sweep.sh: the build failed; last lines:" >&2; tail -20 /tmp/iwsweep-build.$$.log >&2
  rm -f /tmp/iwsweep-build.$$.log; exit 1; }
rm -f /tmp/iwsweep-build.$$.log

args=()
[ -n "$store" ] && args+=(-o "$store")
args+=("$sweep")
# The store iwsweep will use (for the table at the end), from iwsweep itself: it reads the sweep
# file as the sweep will (a bad file stops here, before any launch).
report_store=$(build/iwsweep --print-store "${args[@]}") || exit 2
resume="./run_sweep.sh"
[ -n "$ranks" ] && resume="$resume -n $ranks"
[ -n "$store" ] && resume="$resume -o $(printf '%q' "$store")"
export IW_RESUME_COMMAND="$resume $(printf '%q' "$sweep")"
cores=$(nproc)   # before OMP_NUM_THREADS is set: GNU nproc honours it
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

if [ -n "${SLURM_JOB_ID:-}" ]; then
  case "${IW_LAUNCHER:-srun}" in   # as sweeps/slurm/*.sbatch do
    srun)   # the ring collective makes every PMIx fence a barrier over all nodes; Slurm's default
            # tree fence is node-local below TreeWidth nodes (sweeps/slurm/*.sbatch and
            # docs/SCALING.md say why)
            export SLURM_PMIX_FENCE=${SLURM_PMIX_FENCE:-ring}
            cmd=(srun --mpi="${IW_SRUN_MPI:-pmix}")
            [ -n "$ranks" ] && cmd+=(-n "$ranks") ;;
    mpirun) # mpirun reads the allocation's slots from Slurm; 5 s between its SIGTERM and SIGKILL
            # give the store time to close (as in the batch scripts)
            export OMPI_MCA_odls_base_sigkill_timeout=${OMPI_MCA_odls_base_sigkill_timeout:-5}
            cmd=(mpirun)
            [ -n "$ranks" ] && cmd+=(--oversubscribe -np "$ranks") ;;
    *) echo "run_sweep.sh: IW_LAUNCHER must be srun or mpirun, not '$IW_LAUNCHER'" >&2; exit 2 ;;
  esac
else
  ranks=${ranks:-$((cores + 1))}
  # On SIGTERM/SIGINT mpirun waits odls_base_sigkill_timeout (default 1 s), sends SIGTERM to the
  # ranks, waits as long again, then SIGKILLs them: iwsweep closes its store well within that.
  # (Raising the timeout also delays the SIGTERM itself: the sweep would run on meanwhile.)
  cmd=(mpirun --oversubscribe -np "$ranks")
fi

echo "run_sweep.sh: ${cmd[*]} build/iwsweep ${args[*]}" >&2
"${cmd[@]}" build/iwsweep "${args[@]}"
rc=$?

if [ -f "$report_store" ] && build/iwreport --help >/dev/null 2>&1; then
  echo
  build/iwreport table "$report_store" || true
fi
exit $rc
