#!/usr/bin/env bash
# cluster_mpirun.sh — a sweep across 3 nodes (scripts/cluster-local.sh: namespaces, sshd, a bridge)
# with `mpirun --hostfile`, 2 ranks per node, gives the same store as one rank on this machine:
# h5diff of /metrics, /boundary, /epoch and every /runs dataset except the provenance that
# legitimately differs (worker_rank, wall_seconds, cpu_seconds, host) and the scale host_strlen.
# Every run records the node that ran it in /runs/host, and that node is the one mpirun placed its
# worker rank on (ranks 2k and 2k+1 on iwnode(k+1)); `iwreport summary` counts runs per host.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
source "$(dirname "$0")/lib_cluster.sh"
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
SWEEP=$ROOT/tests/sweeps/ranks2d.yaml

cluster_start "mpirun --hostfile across 3 nodes"
ok "3-node cluster up: $IW_CLUSTER_NODES on $IW_CLUSTER_SUBNET"

iw_mpirun 1 "$IWS" -o one.h5 "$SWEEP" >one.out 2>one.err; rc1=$?
cluster_mpirun 6 "$IWS" -o multi.h5 "$SWEEP" >multi.out 2>multi.err; rc6=$?
if [ $rc1 = 0 ] && [ $rc6 = 0 ] && grep -q '32 done, 0 diverged, 0 failed, 0 pending' multi.out; then
  ok "np=1 here and mpirun --hostfile 3 nodes x 2 ranks complete"
else
  not_ok "np=1 here and mpirun --hostfile 3 nodes x 2 ranks complete" "rc $rc1 / $rc6: $(tail -3 one.err multi.err | tr '\n' ' ')"; finish
fi
grep 'rank 0 CPU' multi.out | sed 's/^/# 3 nodes: /'

# everything but the provenance that depends on where and when a run ran
differ=""
# Not /run nor /runs/host_strlen: h5diff follows a dimension scale's REFERENCE_LIST and compares
# the datasets it names, among them the provenance that differs (check_store.py checks both scales)
objects="/metrics /boundary /epoch"
for d in $("$PY" -c 'import h5py,sys; print(" ".join(h5py.File(sys.argv[1], "r")["runs"]))' one.h5); do
  case "$d" in worker_rank|wall_seconds|cpu_seconds|host|host_strlen) ;; *) objects="$objects /runs/$d" ;; esac
done
for obj in $objects; do
  h5diff -q one.h5 multi.h5 "$obj" "$obj" >/dev/null 2>&1 || differ="$differ $obj"
done
if [ -z "$differ" ]; then ok "store equals the np=1 store (h5diff of $(echo $objects | sed 's|/runs/||g'))"
else not_ok "store equals the np=1 store" "h5diff differs on:$differ"; fi

if why=$("$PY" - multi.h5 one.h5 <<'EOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f, h5py.File(sys.argv[2], "r") as one:
    host = f["runs/host"][:].view("S64")[:, 0].astype(str)
    rank = f["runs/worker_rank"][:]
    one_host = set(one["runs/host"][:].view("S64")[:, 0].astype(str))
bad = []
want = np.array(["iwnode%d" % (r // 2 + 1) for r in rank])
if not np.array_equal(host, want):
    bad.append("host/rank pairs %s differ from mpirun's placement %s" % (list(zip(host, rank))[:6], list(want[:6])))
if 0 in rank:
    bad.append("rank 0 (the scheduler) ran a run")
if len(set(host)) < 2:
    bad.append("only %s ran runs" % set(host))
if one_host & set(host):
    bad.append("the np=1 store's host %s is one of the nodes" % one_host)
counts = {h: int((host == h).sum()) for h in sorted(set(host))}
print("; ".join(bad) if bad else "runs per host %s" % counts)
sys.exit(1 if bad else 0)
EOF
); then ok "/runs/host names the node of each run's worker rank ($why)"
else not_ok "/runs/host names the node of each run's worker rank" "$why"; fi

if "$BUILD/iwreport" summary multi.h5 >sum.txt 2>&1 && grep -q '^hosts: .*iwnode2: [0-9]* runs;' sum.txt; then
  ok "iwreport summary lists the hosts ($(grep '^hosts:' sum.txt | tr -s ' '))"
else
  not_ok "iwreport summary lists the hosts" "$(grep -i host sum.txt || tail -3 sum.txt)"
fi
finish
