#!/usr/bin/env bash
# slurm_signal.sh — signals to a sweep running under a real Slurm (scripts/slurm-local.sh), through
# sweeps/slurm/iwsweep-single-node.sbatch on tests/sweeps/resume2d.yaml:
#   1. srun launcher, `scancel --signal=TERM JOB` (SIGTERM to the tasks, as Slurm's --signal does
#      without B:): the sweep stops, closes the store (readable, lock released), says how many runs
#      are done (the count the store holds) and the command to resume, and the job ends non-zero;
#      the tasks exit by themselves (srun does not report them killed).
#   2. the same submission with IW_LAUNCHER=mpirun, then the time-limit warning the script asks for
#      (--signal=B:USR1@120, sent here with `scancel --batch --signal=USR1`): the script sends
#      SIGTERM to mpirun, the sweep closes the store and says so (same checks), the script requeues
#      the job, which restarts (SLURM_RESTART_COUNT=1) and completes the sweep.
#   3. every run is done, and the runs done before each interruption were not run again (their wall
#      time and metrics unchanged).
# Slurm is stopped and its folder removed at exit, whatever happened.
. "$(dirname "$0")/lib.sh"
iw_tmpdir
SWEEP=tests/sweeps/resume2d.yaml
STORE=$IW_TMP/signal.h5
SLDIR=$IW_TMP/slurm
export HDF5_USE_FILE_LOCKING=FALSE

cleanup() {
  if [ "$IW_FAILED" != 0 ] || [ -n "${IW_SHOW_OUTPUT:-}" ]; then
    for o in "$IW_TMP"/job*.out; do [ -f "$o" ] && { echo "# ---- $o:"; tail -25 "$o" | sed 's/^/# /'; }; done
    for f in slurmctld slurmd; do echo "# ---- $f.log:"; tail -8 "$SLDIR/log/$f.log" 2>/dev/null | sed 's/^/# /'; done
  fi
  "$ROOT/scripts/slurm-local.sh" stop "$SLDIR" >/dev/null 2>&1
  rm -rf "$IW_TMP"
}
trap cleanup EXIT
cd "$ROOT" || exit 1

. "$(dirname "$0")/lib_slurm.sh"

# wait_end JOB SECONDS: wait until the job has ended; prints its state
wait_end() {
  local st="" deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    st=$(job_field "$1" JobState)
    case "$st" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE) break ;; esac
    sleep 0.2
  done
  echo "$st"
}

# snapshot STORE FILE: status, wall time and one metric of every run, to compare later
snapshot() {
  "$PY" - "$1" "$2" <<'EOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    np.savez(sys.argv[2], status=f["runs/status"][...], wall=f["runs/wall_seconds"][...],
             test_acc=f["metrics/test_acc"][...])
EOF
}

# done_count STORE: runs done (status 1 or 2), or nothing when the store is unreadable
done_count() {
  "$PY" -c 'import sys, h5py, numpy as np; f = h5py.File(sys.argv[1], "r"); print(int(np.isin(f["runs/status"][...], (1, 2)).sum()))' "$1" 2>/dev/null
}

# interrupted CASE JOB OUT LAUNCHER: the checks after a signalled job
interrupted() {
  local c=$1 job=$2 out=$3 launcher=$4 st ec n said rc
  rc=$(sed -n 's/.*: sweep exited with status \([0-9]*\).*/\1/p' "$out" | tail -1)
  case "$rc" in 0|"") not_ok "$c: the sweep exits non-zero" "status '$rc' (see the job output)" ;;
                *) ok "$c: the sweep exits non-zero (status $rc)" ;; esac
  n=$(done_count "$STORE")
  if [ -n "$n" ]; then ok "$c: the store is readable afterwards ($n runs done)"
  else not_ok "$c: the store is readable afterwards" "h5py cannot read $STORE"; fi
  if [ -e "$STORE.lock" ]; then not_ok "$c: the store's lock file is removed (closed cleanly)" "$STORE.lock is still there"
  else ok "$c: the store's lock file is removed (closed cleanly)"; fi
  said=$(grep -o 'interrupted: [0-9]* of [0-9]* runs done; resume with: .*' "$out" | tail -1)
  if [ -n "$said" ] && [ -n "$n" ] && echo "$said" | grep -q "interrupted: $n of " && echo "$said" | grep -q -- "$STORE"; then
    ok "$c: it says how many runs are done ($n, as in the store) and how to resume"
  else
    not_ok "$c: it says how many runs are done and how to resume" "said '$said'; the store has '$n' done"
  fi
  if [ "$launcher" = srun ]; then
    if grep -q 'tasks.*Killed' "$out"; then not_ok "$c: the tasks exit by themselves" "srun reports them killed"
    else ok "$c: the tasks exit by themselves (srun: $(grep -o 'tasks [0-9-]*: Exited with exit code [0-9]*' "$out" | tail -1))"; fi
  fi
}

if [ "$(id -u)" != 0 ]; then not_ok "slurm starts" "needs root (SlurmUser=root)"; finish; fi
if ! env_line=$("$ROOT/scripts/slurm-local.sh" start "$SLDIR" 2>"$IW_TMP/start.err"); then
  not_ok "slurm starts" "$(tail -5 "$IW_TMP/start.err" | tr '\n' ' ')"; finish
fi
eval "$env_line"
ok "slurm starts"

submit() { # submit OUT LAUNCHER: prints the job id
  IW_LAUNCHER=$2 IW_BIN=$BUILD/iwsweep IW_ROOT=$ROOT sbatch --parsable --ntasks=3 --overcommit \
    --output="$1" sweeps/slurm/iwsweep-single-node.sbatch "$SWEEP" "$STORE"
}

# 1. srun, SIGTERM to the tasks
job=$(submit "$IW_TMP/job1.out" srun) || { not_ok "sbatch (srun)" "refused"; finish; }
if ! n=$(wait_done "$STORE" 2 90 "$job"); then not_ok "srun+TERM: runs get done" "only $n (job $(job_field "$job" JobState))"; finish; fi
scancel --signal=TERM "$job"
t0=$SECONDS
st=$(wait_end "$job" 60)
echo "# srun + scancel --signal=TERM after $n runs: job ended ($st) $((SECONDS - t0)) s after the signal"
interrupted "srun+TERM" "$job" "$IW_TMP/job1.out" srun
snapshot "$STORE" "$IW_TMP/after1.npz"

# 2. mpirun inside the allocation; the time limit's warning signal; the script requeues the job
n1=$(done_count "$STORE"); n1=${n1:-0}
job=$(submit "$IW_TMP/job2.out" mpirun) || { not_ok "sbatch (mpirun)" "refused"; finish; }
if ! n=$(wait_done "$STORE" $((n1 + 2)) 90 "$job"); then not_ok "mpirun+time limit: runs get done" "only $n (job $(job_field "$job" JobState))"; finish; fi
scancel --batch --signal=USR1 "$job"
t0=$SECONDS
deadline=$((SECONDS + 60)); st=""
while [ $SECONDS -lt $deadline ]; do
  st=$(job_field "$job" JobState); [ "$st" = PENDING ] && break; sleep 0.2
done
echo "# mpirun + time-limit warning after $n runs: job requeued ($st) $((SECONDS - t0)) s after the signal"
if [ "$st" = PENDING ] && grep -q 'requeueing job' "$IW_TMP/job2.out"; then
  ok "mpirun+time limit: the script stops the sweep and requeues the job"
else
  not_ok "mpirun+time limit: the script stops the sweep and requeues the job" "state $st"
fi
interrupted "mpirun+time limit" "$job" "$IW_TMP/job2.out" mpirun
snapshot "$STORE" "$IW_TMP/after2.npz"

st=$(wait_end "$job" 120)
ec=$(job_field "$job" ExitCode); restarts=$(job_field "$job" Restarts)
if [ "$st" = COMPLETED ] && [ "$ec" = 0:0 ] && [ "$restarts" = 1 ] && grep -q 'start 1 on' "$IW_TMP/job2.out"; then
  ok "the requeued job restarts (SLURM_RESTART_COUNT=1) and completes the sweep"
else
  not_ok "the requeued job restarts (SLURM_RESTART_COUNT=1) and completes the sweep" "state $st, exit code $ec, restarts $restarts"
fi

if why=$("$PY" - "$STORE" "$IW_TMP/after1.npz" "$IW_TMP/after2.npz" <<'EOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    status, wall, acc = f["runs/status"][...], f["runs/wall_seconds"][...], f["metrics/test_acc"][...]
bad = []
if not np.all(status == 1):
    bad.append("status not all done: %s" % status.tolist())
for name in sys.argv[2:]:
    b = np.load(name)
    d = np.isin(b["status"], (1, 2))
    if np.any(wall[d] != b["wall"][d]) or not np.array_equal(acc[d], b["test_acc"][d]):
        bad.append("runs done before a signal were written again")
print("; ".join(bad) if bad else "%d runs, none run twice" % len(status))
sys.exit(1 if bad else 0)
EOF
); then ok "every run done exactly once across the interruptions ($why)"
else not_ok "every run done exactly once across the interruptions" "$why"; fi
finish
