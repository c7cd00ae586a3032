#!/usr/bin/env bash
# run_sweep.sh — one command that does everything: install what is missing, build, run a sweep on
# all local cores (or inside the Slurm allocation it runs in), and print the summary table.
#
#   ./run_sweep.sh [-n RANKS] [-o STORE] [--retry-failed] [--dry-run] [SWEEP_FILE]
#
#   SWEEP_FILE      default sweeps/default.yaml
#   -n RANKS        MPI ranks; default cores + 1 (rank 0 only schedules and sleeps between messages,
#                   every other rank trains one run at a time with one OpenBLAS thread)
#   -o STORE        the HDF5 store; default results/<name>.h5 (name from the sweep file)
#   --retry-failed  also rerun the runs marked failed (iwsweep --retry-failed)
#   --dry-run       say what a run would do (the grid, the store's state), run nothing
# Re-running the same command resumes the store: only runs not done are trained. The table is
# printed when the sweep completes. Exit status: iwsweep's (0 done, 2 bad input or store refused,
# 3 interrupted: SIGINT, SIGTERM or SIGHUP to this script stop the sweep cleanly; 1 otherwise).
# Inside a Slurm allocation (SLURM_JOB_ID set) it launches on the allocation's tasks as the batch
# scripts do: IW_LAUNCHER=srun (default; srun --mpi=$IW_SRUN_MPI, default pmix) or IW_LAUNCHER=mpirun.
set -u
ROOT=$(cd "$(dirname "$0")" && pwd)
cd "$ROOT"

usage() { sed -n '2,/^[^#]/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; }
ranks="" store="" sweep="" retry="" dry=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    -n) [ $# -ge 2 ] || { echo "run_sweep.sh: -n needs a number of ranks" >&2; exit 2; }
        ranks=$2; shift 2 ;;
    -o) [ $# -ge 2 ] || { echo "run_sweep.sh: -o needs a store path" >&2; exit 2; }
        store=$2; shift 2 ;;
    --retry-failed) retry=--retry-failed; shift ;;
    --dry-run) dry=--dry-run; shift ;;
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
if [ -n "$dry" ]; then   # one process: the same checks as a real start, nothing launched
  exec build/iwsweep --dry-run ${retry:+"$retry"} "${args[@]}"
fi
# The store iwsweep will use (for the table at the end), from iwsweep itself: it reads the sweep
# file as the sweep will (a bad file stops here, before any launch).
report_store=$(build/iwsweep --print-store "${args[@]}") || exit 2
# The checks a real start makes on the store (another sweep's store, a store in use, an older
# iwsweep's), made here by one process, so that a refusal ends with iwsweep's message and exit 2
# before anything is launched (a launcher reports a rank's exit 2 as its own 1).
precheck=$(mktemp /tmp/iwsweep-check.XXXXXX)
build/iwsweep --dry-run ${retry:+"$retry"} "${args[@]}" >"$precheck" 2>&1; rc=$?
if [ "$rc" != 0 ]; then grep -v '^ *[0-9]' "$precheck" >&2; rm -f "$precheck"; exit "$rc"; fi
rm -f "$precheck"
resume="./run_sweep.sh"
[ -n "$ranks" ] && resume="$resume -n $ranks"
[ -n "$retry" ] && resume="$resume $retry"
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

[ -n "$retry" ] && args=("$retry" "${args[@]}")
echo "run_sweep.sh: ${cmd[*]} build/iwsweep ${args[*]}" >&2
# The launcher runs as a child this script waits for, so that a signal to the script alone (kill,
# timeout, a job system) reaches the sweep: SIGTERM and SIGHUP are passed on to the launcher, which
# passes them to the ranks (they finish the epoch's bookkeeping, close the store and exit). Ctrl-C
# sends SIGINT to the whole foreground group, launcher included, so SIGINT is only noted here
# (passing it on too would be a second SIGINT, which mpirun takes as "abort at once").
interrupted=0
"${cmd[@]}" build/iwsweep "${args[@]}" &
launcher=$!
trap 'interrupted=1; kill -TERM "$launcher" 2>/dev/null' TERM HUP
trap 'interrupted=1' INT
while :; do
  wait "$launcher"; rc=$?
  kill -0 "$launcher" 2>/dev/null || break   # wait returned for a trapped signal: wait again
done
trap - TERM HUP INT
# mpirun and srun report a rank's non-zero exit as their own 1; iwsweep's "interrupted" is 3
[ "$interrupted" = 1 ] && [ "$rc" != 0 ] && rc=3

if [ "$rc" = 0 ] && [ -f "$report_store" ]; then
  echo
  build/iwreport table "$report_store" || true
elif [ -f "$report_store" ] && [ "$rc" != 2 ]; then
  echo "run_sweep.sh: the sweep did not complete (exit $rc); its runs so far: build/iwreport table $report_store" >&2
fi
exit $rc
