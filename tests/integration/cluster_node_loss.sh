#!/usr/bin/env bash
# cluster_node_loss.sh — losing a node mid-sweep: a sweep runs across 3 nodes x 2 ranks
# (scripts/cluster-local.sh, mpirun --hostfile); once a few runs are done, every rank on iwnode3
# gets SIGKILL (rank 0, the scheduler, is on iwnode1). The job must end by itself (mpirun sees the
# ranks die and ends the others: no hang, no rank left on any node), the store must be readable
# with every run marked done complete and equal to a clean sweep's, and the same command must then
# complete the sweep with metrics and boundaries equal to a clean sweep (h5diff).
source "$(dirname "$0")/lib.sh"
iw_tmpdir
source "$(dirname "$0")/lib_cluster.sh"
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
SWEEP=$ROOT/tests/sweeps/resume2d.yaml
job=

cluster_start "losing a node mid-sweep"
trap '[ -n "$job" ] && kill_job "$job"; cluster_cleanup' EXIT

if ! iw_mpirun 3 "$IWS" -o ref.h5 "$SWEEP" >ref.out 2>ref.err; then
  not_ok "clean reference sweep (3 ranks here)" "$(tail -3 ref.err | tr '\n' ' ')"; finish
fi

# the sweep across the nodes, in its own session (to kill mpirun and its ssh clients if it hangs)
setsid bash -c "$(declare -f cluster_mpirun); CLUSTER_RANKS_PER_NODE=$CLUSTER_RANKS_PER_NODE; cluster_mpirun 6 \"\$@\"" _ \
  "$IWS" -o s.h5 "$SWEEP" >run1.out 2>run1.err &
job=$!
if ! wait_for 120 grep -q '^\[3/12\]' run1.err; then
  not_ok "a few runs done across the nodes" "no progress: $(tail -3 run1.err | tr '\n' ' ')"; finish
fi
victims=$(node_pids iwnode3 iwsweep | tr '\n' ' ')
if [ -z "$victims" ]; then not_ok "ranks found on iwnode3" "no iwsweep process in iwnode3's namespace"; finish; fi
kill -KILL $victims
n_before=$(grep -c '^\[.* done in' run1.err)
t0=$SECONDS
ended=0
for _ in $(seq 600); do kill -0 "$job" 2>/dev/null || { ended=1; break; }; sleep 0.1; done
if [ $ended = 1 ]; then
  wait "$job"; rc=$?; job=
  ok "SIGKILL to every rank on iwnode3 (pids $victims) after $n_before runs: the job ends by itself in $((SECONDS - t0)) s (exit $rc)"
else
  not_ok "the job ends by itself after losing iwnode3" "mpirun still running 60 s after the kill: $(tail -3 run1.err | tr '\n' ' ')"
  kill_job "$job"; job=
fi
[ "${rc:-0}" != 0 ] || not_ok "the job reports the loss" "mpirun exited 0 although ranks were killed"
left=""
for n in $IW_CLUSTER_NODES; do
  wait_for 10 test -z "$(node_pids "$n" iwsweep)" || left="$left $n:$(node_pids "$n" iwsweep | tr '\n' ',')"
done
if [ -z "$left" ]; then ok "no iwsweep rank left on any node"; else not_ok "no iwsweep rank left on any node" "still running:$left"; fi

if why=$("$PY" - s.h5 ref.h5 <<'PYEOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f, h5py.File(sys.argv[2], "r") as ref:
    st = f["runs/status"][:]
    done = np.where(st == 1)[0]
    bad = []
    if not (1 <= len(done) < len(st)): bad.append("expected some but not all runs done, status %s" % st.tolist())
    for name in f["metrics"]:
        a, b = f["metrics/" + name][:], ref["metrics/" + name][:]
        if not np.array_equal(a[done], b[done], equal_nan=True): bad.append(name + " of a done run differs from the clean sweep")
    if not np.array_equal(f["boundary"][:][done], ref["boundary"][:][done], equal_nan=True): bad.append("boundary of a done run differs")
    hosts = sorted(set(f["runs/host"][:].view("S64")[:, 0][done].astype(str)))
print("; ".join(bad) if bad else "%d of %d runs done, by %s" % (len(done), len(st), " ".join(hosts)))
sys.exit(1 if bad else 0)
PYEOF
); then ok "the store is readable; every run marked done equals the clean sweep's ($why)"
else not_ok "the store is readable; every run marked done equals the clean sweep's" "$why"; fi

# the same command again, on all three nodes
cluster_mpirun 6 "$IWS" -o s.h5 "$SWEEP" >run2.out 2>run2.err; rc=$?
if [ $rc = 0 ] && grep -q '12 done, 0 diverged, 0 failed, 0 pending' run2.out; then ok "the same command completes the sweep"
else not_ok "the same command completes the sweep" "exit $rc: $(tail -3 run2.err run2.out | tr '\n' ' ')"; fi
if h5diff -q ref.h5 s.h5 /metrics /metrics && h5diff -q ref.h5 s.h5 /boundary /boundary && h5diff -q ref.h5 s.h5 /runs/status /runs/status; then
  ok "metrics, boundaries and status equal a clean sweep (h5diff)"
else
  not_ok "metrics, boundaries and status equal a clean sweep (h5diff)" "$(h5diff ref.h5 s.h5 /metrics /metrics 2>&1 | head -3 | tr '\n' ' ')"
fi
finish
