#!/usr/bin/env bash
# cluster_node_data.sh — node-shared data across 3 nodes (scripts/cluster-local.sh) with 2 ranks
# per node: test_data_mpi under mpirun --hostfile. On every rank the shared view equals a private
# load and is shared by exactly the ranks of its host (by gethostname, not by MPI's own notion of
# node); a loader error reaches every rank of every node; and on each node the Pss of a large data
# set, summed over that node's ranks, is between 0.5 and 1.5 copies more than a tiny one's: one
# copy per node, neither one per rank nor one per job.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
source "$(dirname "$0")/lib_cluster.sh"
cd "$IW_TMP" || exit 1
bin=$BUILD/tests/test_data_mpi
if [ ! -x "$bin" ]; then not_ok "node-shared data on 3 nodes" "$bin not built (make build-tests)"; finish; fi

cluster_start "node-shared data on 3 nodes"
cluster_mpirun 6 "$bin" >out.txt 2>&1; rc=$?
grep '^# host' out.txt | sort
n_cases=$(grep -c '^ *RUN_TEST(' "$ROOT/tests/unit/test_data_mpi.c"); want=$((n_cases * 6))  # every rank reports every case
cases=$(grep -c '^ok - ' out.txt); skips=$(grep -c '^ok - .*# SKIP' out.txt); failures=$(grep -c '^not ok - ' out.txt)
hosts=$(grep '^# host' out.txt | awk '{print $3}' | sort -u | tr '\n' ' ')
if [ "$skips" != 0 ]; then
  skip "node-shared data on 3 nodes" "$(grep -m1 '# SKIP' out.txt | sed 's/.*# SKIP //')"
elif [ "$rc" = 0 ] && [ "$failures" = 0 ] && [ "$cases" = "$want" ] && [ "$hosts" = "iwnode1 iwnode2 iwnode3 " ]; then
  ok "node-shared data on 3 nodes x 2 ranks: views equal private loads, shared per host, errors reach every rank, one copy per node (Pss)"
else
  not_ok "node-shared data on 3 nodes x 2 ranks" "exit $rc, $cases ok lines ($want expected: $n_cases cases x 6 ranks), $failures not ok, Pss lines from hosts '$hosts': $(grep -E '^(not ok|# )' out.txt | grep -v '^# host' | head -6 | tr '\n' ' ') $(tail -3 out.txt | tr '\n' ' ')"
fi
finish
