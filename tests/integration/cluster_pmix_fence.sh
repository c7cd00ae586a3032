#!/usr/bin/env bash
# cluster_pmix_fence.sh — the batch scripts make every PMIx fence a barrier over all nodes.
# Slurm's mpi/pmix runs a fence without data (Open MPI's barrier at the end of MPI_Init and the
# start of MPI_Finalize) as a tree built from TreeWidth (default 50): with fewer nodes than that,
# every node is a tree of its own and the fence waits for that node's ranks only. Ranks then leave
# MPI_Init while others are still in it, and Open MPI 4.1's TCP transport crashes a rank that gets
# a message that early (what made cluster_slurm_requeue.sh fail about 1 run in 12 under load).
# sweeps/slurm/*.sbatch export SLURM_PMIX_FENCE=ring. Here a probe (pmix_fence_probe.c) runs as
# the batch script's binary on 3 nodes x 2 ranks: its last rank enters MPI_Finalize 3 s late, and
# no rank may leave MPI_Finalize before that. The same probe under a bare `srun --mpi=pmix` shows
# what Slurm does without the setting (printed, not asserted: a later Slurm may fix it).
source "$(dirname "$0")/lib.sh"
iw_tmpdir
source "$(dirname "$0")/lib_cluster.sh"
source "$(dirname "$0")/lib_slurm.sh"
cd "$ROOT" || exit 1
PROBE=$IW_TMP/pmix_fence_probe

if ! mpicc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -O1 -o "$PROBE" \
     tests/integration/pmix_fence_probe.c 2>"$IW_TMP/cc.err"; then
  not_ok "the fence probe builds" "$(tail -3 "$IW_TMP/cc.err" | tr '\n' ' ')"; finish
fi
cluster_start "PMIx fences span the nodes"

# check_probe FILE: 0 when every rank left MPI_Finalize after the last rank entered it; prints
# the earliest exit relative to that entry
check_probe() {
  "$PY" - "$1" <<'PYEOF'
import re, sys
rows = [tuple(map(float, m.groups())) + (m.group(0),) for m in
        (re.search(r"probe rank (\d+) of (\d+) on \S+: entered ([\d.]+), left ([\d.]+)", l) for l in open(sys.argv[1])) if m]
if len(rows) != 6 or len({int(r[1]) for r in rows}) != 1:
    print("%d probe lines, expected 6" % len(rows)); sys.exit(2)
last_in = max(r[2] for r in rows if r[0] == r[1] - 1)
early = min(r[3] for r in rows) - last_in
print("earliest exit %+.3f s after the last rank entered" % early)
sys.exit(0 if early >= 0 else 1)
PYEOF
}

OUT=$IW_TMP/job.out
job=$(IW_BIN=$PROBE sbatch --parsable --nodes=3 --ntasks-per-node=2 --output="$OUT" \
      sweeps/slurm/iwsweep-multi-node.sbatch tests/sweeps/resume2d.yaml "$IW_TMP/unused.h5" 2>"$IW_TMP/sbatch.err")
if [ -z "$job" ]; then not_ok "sbatch accepts the batch script" "$(cat "$IW_TMP/sbatch.err")"; finish; fi
for _ in $(seq 600); do
  case "$(job_field "$job" JobState)" in PENDING|RUNNING|CONFIGURING|COMPLETING|"") sleep 0.1 ;; *) break ;; esac
done
state=$(job_field "$job" JobState)
if why=$(check_probe "$OUT"); then
  ok "the batch script's srun: no rank leaves MPI_Finalize before the last enters it (3 nodes x 2; $why; job $state)"
else
  not_ok "the batch script's srun: no rank leaves MPI_Finalize before the last enters it" "$why; job $state: $(grep -v '^probe' "$OUT" | tail -5 | tr '\n' ' ')"
fi

# the same probe without the setting: what Slurm's default fence does (information only)
env -u SLURM_PMIX_FENCE timeout 120 srun --mpi=pmix --nodes=3 --ntasks-per-node=2 "$PROBE" >"$IW_TMP/bare.out" 2>&1
echo "# bare srun --mpi=pmix (Slurm's default fence): $(check_probe "$IW_TMP/bare.out")"
finish
