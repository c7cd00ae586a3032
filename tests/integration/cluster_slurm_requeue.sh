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

job=$(IW_BIN=$BUILD/iwsweep IW_ROOT=$ROOT sbatch --parsable --nodes=3 --ntasks-per-node=2 --output="$OUT" \
      sweeps/slurm/iwsweep-multi-node.sbatch "$SWEEP" "$STORE" 2>"$IW_TMP/sbatch.err")
if [ -z "$job" ]; then not_ok "sbatch --nodes=3 accepts the batch script" "$(cat "$IW_TMP/sbatch.err")"; finish; fi
ok "sbatch --nodes=3 --ntasks-per-node=2 accepts the batch script (job $job)"

if ! n_before=$(wait_done "$STORE" 3 120 "$job"); then
  not_ok "a few runs are done before the requeue" "only ${n_before} done after 120 s; job state $(job_field "$job" JobState)"; finish
fi
nodes=$(job_field "$job" NodeList)
scontrol requeue "$job" || { not_ok "scontrol requeue" "refused"; finish; }
deadline=$((SECONDS + 60))
while [ $SECONDS -lt $deadline ]; do
  st=$(job_field "$job" JobState)
  [ "$st" = PENDING ] && break
  sleep 0.2
done
if [ "$st" != PENDING ]; then not_ok "requeued job goes back to pending" "state $st after 60 s"; finish; fi
ok "scontrol requeue after $n_before runs on $nodes: the job is pending again"

"$PY" - "$STORE" "$IW_TMP/before.npz" <<'PYEOF' || not_ok "store readable after the requeue" "h5py could not read it"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    np.savez(sys.argv[2], status=f["runs/status"][...], wall=f["runs/wall_seconds"][...],
             test_acc=f["metrics/test_acc"][...])
PYEOF

# the clean reference, while the job waits out its restart delay
iw_mpirun 3 "$BUILD/iwsweep" -o "$REF" "$SWEEP" >"$IW_TMP/ref.out" 2>&1 &
ref_pid=$!

deadline=$((SECONDS + 150))
while [ $SECONDS -lt $deadline ]; do
  st=$(job_field "$job" JobState)
  case "$st" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE) break ;; esac
  sleep 0.5
done
restarts=$(job_field "$job" Restarts); exitcode=$(job_field "$job" ExitCode)
if [ "$st" = COMPLETED ] && [ "$exitcode" = 0:0 ] && [ "$restarts" = 1 ] && grep -q "start 1 on" "$OUT"; then
  ok "the requeued job restarts once (SLURM_RESTART_COUNT=1) on $(job_field "$job" NodeList) and completes"
else
  not_ok "the requeued job restarts once and completes" "state $st, exit code $exitcode, restarts $restarts"
fi

wait "$ref_pid"; ref_rc=$?; ref_pid=
if [ "$ref_rc" != 0 ]; then not_ok "clean reference sweep (mpirun)" "exit $ref_rc: $(tail -3 "$IW_TMP/ref.out" | tr '\n' ' ')"; finish; fi

if why=$("$PY" - "$STORE" "$IW_TMP/before.npz" "$job" <<'PYEOF'
import sys, h5py, numpy as np
path, before, job = sys.argv[1], np.load(sys.argv[2]), int(sys.argv[3])
bad = []
with h5py.File(path, "r") as f:
    r = {k: f["runs/" + k][...] for k in ("status", "attempt", "slurm_job_id", "slurm_restart_count", "wall_seconds")}
    acc = f["metrics/test_acc"][...]
    host = f["runs/host"][:].view("S64")[:, 0].astype(str)
first = np.isin(before["status"], (1, 2))
if not np.all(r["status"] == 1): bad.append("status not all done: %s" % r["status"].tolist())
if np.any(r["slurm_job_id"] != job): bad.append("slurm_job_id %s, expected %d" % (r["slurm_job_id"].tolist(), job))
if np.any(r["attempt"][first] != 1) or np.any(r["slurm_restart_count"][first] != 0):
    bad.append("runs done before the requeue: attempt %s restart %s (want 1, 0)"
               % (r["attempt"][first].tolist(), r["slurm_restart_count"][first].tolist()))
if np.any(r["wall_seconds"][first] != before["wall"][first]) or not np.array_equal(acc[first], before["test_acc"][first]):
    bad.append("runs done before the requeue were written again")
if np.any(r["slurm_restart_count"][~first] != 1):
    bad.append("runs done after the requeue: restart count %s (want 1)" % r["slurm_restart_count"][~first].tolist())
att = r["attempt"][~first]
if np.any((att < 1) | (att > 2)) or np.sum(att == 2) > 5:   # at most one in flight per worker (5)
    bad.append("runs done after the requeue: attempt %s (want 1, or 2 for the <= 5 in flight)" % att.tolist())
if not set(host) <= {"iwnode1", "iwnode2", "iwnode3"} or len(set(host)) < 2:
    bad.append("hosts %s: expected runs on several of iwnode1..3" % sorted(set(host)))
counts = {h: int((host == h).sum()) for h in sorted(set(host))}
print("; ".join(bad) if bad else "%d runs before the requeue, %d after; runs per host %s" % (first.sum(), (~first).sum(), counts))
sys.exit(1 if bad else 0)
PYEOF
); then ok "every run done exactly once, job id, restart count and hosts recorded ($why)"
else not_ok "every run done exactly once, job id, restart count and hosts recorded" "$why"; fi

if d=$(h5diff "$REF" "$STORE" /metrics /metrics 2>&1) && d2=$(h5diff "$REF" "$STORE" /boundary /boundary 2>&1); then
  ok "metrics and boundaries equal a clean sweep (h5diff)"
else
  not_ok "metrics and boundaries equal a clean sweep (h5diff)" "$(echo "$d ${d2:-}" | head -5 | tr '\n' ' ')"
fi
finish
