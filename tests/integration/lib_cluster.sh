# lib_cluster.sh — helpers of the multi-node tests (sourced after lib.sh and iw_tmpdir): a
# 3-node cluster of scripts/cluster-local.sh in the test's scratch folder, stopped at exit whatever
# happened, and mpirun across it.
#
# A test calls `cluster_start NAME` first. Where namespaces cannot be made (not root, a container
# without CAP_NET_ADMIN...) it prints "ok - NAME # SKIP why" and exits: counted as skipped.

CLUSTER_NODES=3
CLUSTER_RANKS_PER_NODE=2

# After a failed test, IW_KEEP_FAILED=DIR keeps its logs: the cluster's daemons' logs and every
# *.out / *.err / *.log of the test's scratch folder are copied into DIR/<test>-<time>/ before the
# folder is removed (stores are left out: they can be large).
cluster_cleanup() {
  if [ "$IW_FAILED" != 0 ] || [ -n "${IW_SHOW_OUTPUT:-}" ]; then
    for f in "$IW_CLUSTER_DIR"/log/slurmctld.log "$IW_CLUSTER_DIR"/log/slurmd-iwnode*.log; do
      [ -f "$f" ] && { echo "# ---- $(basename "$f"):"; grep -i -E 'error|fatal' "$f" | tail -5 | sed 's/^/# /'; }
    done
  fi
  if [ "$IW_FAILED" != 0 ] && [ -n "${IW_KEEP_FAILED:-}" ]; then
    local keep
    keep=$IW_KEEP_FAILED/$(basename "$0" .sh)-$(date +%Y%m%d-%H%M%S)-$$
    mkdir -p "$keep" && cp -r "$IW_CLUSTER_DIR/log" "$keep/cluster-log" 2>/dev/null
    find "$IW_TMP" -maxdepth 1 -type f \( -name '*.out' -o -name '*.err' -o -name '*.log' \) -exec cp {} "$keep/" \; 2>/dev/null
    echo "# logs kept in $keep"
  fi
  [ -n "${IW_CLUSTER_DIR:-}" ] && "$ROOT/scripts/cluster-local.sh" stop >/dev/null 2>&1
  rm -rf "$IW_TMP"
}

# cluster_start NAME: start the nodes and export what mpirun, ssh and Slurm need (see the script)
cluster_start() {
  export IW_CLUSTER_DIR=$IW_TMP/cluster
  trap cluster_cleanup EXIT
  local env_line rc
  env_line=$("$ROOT/scripts/cluster-local.sh" start $CLUSTER_NODES 2>"$IW_TMP/cluster-start.err"); rc=$?
  if [ $rc = 3 ]; then skip "$1" "$(tail -1 "$IW_TMP/cluster-start.err")"; finish; fi
  if [ $rc != 0 ]; then not_ok "$1: the cluster starts" "$(tail -5 "$IW_TMP/cluster-start.err" | tr '\n' ' ')"; finish; fi
  eval "$env_line"
  export HDF5_USE_FILE_LOCKING=FALSE OPENBLAS_NUM_THREADS=1
}

# cluster_mpirun NP ARGS...: mpirun over the cluster's hostfile, CLUSTER_RANKS_PER_NODE ranks per
# node in rank order (ranks 0,1 on iwnode1, 2,3 on iwnode2, ...). OMPI_MCA_* reach the orteds and
# ranks by themselves; the other variables the ranks need go with -x. Killed after
# CLUSTER_TIMEOUT seconds (default 300) so that a hang fails the test instead of blocking the suite.
cluster_mpirun() {
  local np=$1; shift
  timeout -k 5 "${CLUSTER_TIMEOUT:-300}" mpirun --hostfile "$IW_CLUSTER_HOSTFILE" --map-by "ppr:$CLUSTER_RANKS_PER_NODE:node" -np "$np" \
    -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM -x HDF5_USE_FILE_LOCKING -x OPENBLAS_NUM_THREADS \
    ${OPENBLAS_CORETYPE:+-x OPENBLAS_CORETYPE} "$@"
}

# node_pids NODE NAME: pids (as the host sees them) of the processes called NAME inside NODE
node_pids() {
  local p
  for p in $("$ROOT/scripts/cluster-local.sh" pids "$1" 2>/dev/null); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && echo "$p"
  done
}
