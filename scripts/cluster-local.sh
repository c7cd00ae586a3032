#!/usr/bin/env bash
# cluster-local.sh — a real multi-node cluster on one machine, for the tests and for trying
# multi-node runs on a workstation: N "nodes" (default 3), each a Linux network + UTS + mount
# namespace with its own hostname (iwnode1..N), a veth link to a bridge on a private subnet, its
# own sshd (so Open MPI's launcher reaches it by ssh) and its own slurmd; slurmctld runs on
# iwnode1, one munged serves all. All nodes see the host's file system (the stand-in for a
# cluster's parallel file system) except /run, /etc/hosts (naming the other nodes) and
# DIR/nodetmp (Slurm's TmpFS): each node has its own. The host is the "login node": it has the
# bridge's first address.
#
#   scripts/cluster-local.sh start [N]     start N nodes (or find them running) and print the
#                                          export lines: eval "$(scripts/cluster-local.sh start)"
#   scripts/cluster-local.sh status        exit 0 when every node answers ssh and Slurm says idle/alloc
#   scripts/cluster-local.sh stop          cancel jobs, kill everything in the nodes, remove the
#                                          bridge and the folder (also after a failed start)
#   scripts/cluster-local.sh env           print the export lines only
#   scripts/cluster-local.sh exec NODE CMD...   run CMD inside node NODE (nsenter)
#   scripts/cluster-local.sh pids NODE     pids of every process inside NODE (its sshd, slurmd,
#                                          orted, ranks, ...), e.g. to kill the ranks of one node
# The folder is $IW_CLUSTER_DIR (default /tmp/iwcluster); IW_CLUSTER_KEEP=1 makes stop keep it
# (logs). Needs root, iproute2, util-linux (unshare, nsenter), openssh-server + openssh-client,
# slurm-wlm + munge (scripts/deps.sh check). Exit status of start: 0 up; 3 namespaces or bridges
# cannot be made here (the tests count that as a skip); 1 anything else (the message says what).
#
# What the export lines set, and why (Open MPI 4.1 across the nodes):
#   OMPI_MCA_plm_rsh_agent=ssh, OMPI_MCA_plm_rsh_args="-F DIR/ssh/config": mpirun --hostfile starts
#     orted on each node with this ssh client config (node name -> address, the instance's key and
#     known_hosts, BatchMode); nothing in /root/.ssh or /etc/ssh is read or changed.
#   OMPI_MCA_oob_tcp_if_include / OMPI_MCA_btl_tcp_if_include = the bridge subnet: mpirun (on the
#     host) and the orteds must talk over the bridge, and the ranks' TCP traffic must use the
#     nodes' veth, not the host's other interfaces (which the nodes cannot reach).
#   IW_CLUSTER_HOSTFILE: "iwnodeK slots=S" lines (S = cores of the machine), for mpirun --hostfile.
#   SLURM_CONF: the cluster's slurm.conf, for sbatch/srun/squeue/scontrol run on the host.
# orted is found through the remote PATH (Debian's /usr/bin/orted). mpirun passes OMPI_MCA_*
# variables on to the orteds and ranks by itself; other variables the ranks need (e.g.
# OMPI_ALLOW_RUN_AS_ROOT*, HDF5_USE_FILE_LOCKING, OPENBLAS_CORETYPE, LD_LIBRARY_PATH) go with -x.
#
# Instances do not collide with each other or with scripts/slurm-local.sh: each takes a free slot
# K in 1..250 by creating the bridge iwcK (creating a link is atomic: two instances cannot both
# get K), uses the subnet 10.213.K.0/24 and link names iwcKh<i>/iwcKn<i>, and runs every daemon
# inside its own namespaces, where the fixed ports (22 sshd, 6817 slurmctld, 6818 slurmd) are
# private to each node; nothing listens on the host's network. Slurm job ids start at a random
# FirstJobId (srun --mpi=pmix names folders under /tmp after them).
# stop finds what start made without trusting pid files: processes carry IW_CLUSTER_INSTANCE=DIR
# in their environment (the namespace holders and the daemons), everything else started inside a
# node (ssh sessions, orted, ranks, slurmstepd, job tasks) shares a holder's network namespace,
# and the bridge carries DIR as its alias.
set -u
cmd=${1:-}
DIR=${IW_CLUSTER_DIR:-/tmp/iwcluster}
case "$DIR" in /*) ;; *) DIR=$(pwd)/$DIR ;; esac
MARK=$DIR/.iwcluster     # marks DIR as ours: stop removes only a folder that carries it
STATE=$DIR/cluster.state # SLOT= and NODES= of a started instance
SBIN=/usr/sbin
NET_PREFIX=10.213        # 10.213.K.0/24; host .1, node i .(10+i)

say() { echo "cluster-local: $*" >&2; }
die() { say "$*"; exit 1; }
unavailable() { say "unavailable here: $*"; exit 3; }

node_name() { echo "iwnode$1"; }
node_addr() { echo "$NET_PREFIX.$SLOT.$((10 + $1))"; }

# Pids of processes carrying IW_CLUSTER_INSTANCE=DIR (and, with a second argument, IW_CLUSTER_NODE=that).
marked_pids() {
  local p
  for p in $(grep -lsxzF "IW_CLUSTER_INSTANCE=$DIR" /proc/[0-9]*/environ | sed 's|^/proc/||; s|/environ$||'); do
    [ "$p" = $$ ] && continue
    [ $# -eq 0 ] || grep -qsxzF "IW_CLUSTER_NODE=$1" "/proc/$p/environ" || continue
    echo "$p"
  done
}
holder_of() { # holder_of NODE: pid of the process that holds the node's namespaces
  local p
  for p in $(marked_pids "$1"); do
    grep -qsxzF "IW_CLUSTER_ROLE=holder" "/proc/$p/environ" && { echo "$p"; return 0; }
  done
  return 1
}
# in_node NODE CMD...: run CMD inside the node's namespaces, in the current folder
in_node() {
  local node=$1 h; shift
  h=$(holder_of "$node") || { say "node $node is not running"; return 1; }
  nsenter -t "$h" -n -u -m --wd="$(pwd)" -- "$@"
}
# Pids of every process inside a holder's network namespace (the holder included).
pids_in_netns_of() {
  local ns p
  ns=$(readlink "/proc/$1/ns/net" 2>/dev/null) || return 0
  [ "$ns" = "$(readlink /proc/self/ns/net)" ] && return 0   # never the host's own namespace
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$ns" ] && echo "${p#/proc/}"
  done
}

load_state() { SLOT=; NODES=; [ -f "$STATE" ] && . "$STATE"; [ -n "$SLOT" ]; }

print_env() {
  load_state || { say "not started in $DIR"; return 1; }
  local names="" i
  for i in $(seq "$NODES"); do names="$names $(node_name "$i")"; done
  cat <<EOF
export IW_CLUSTER_DIR=$DIR
export IW_CLUSTER_HOSTFILE=$DIR/hostfile
export IW_CLUSTER_NODES="${names# }"
export IW_CLUSTER_SUBNET=$NET_PREFIX.$SLOT.0/24
export SLURM_CONF=$DIR/slurm/slurm.conf
export OMPI_MCA_plm_rsh_agent=ssh
export OMPI_MCA_plm_rsh_args="-F $DIR/ssh/config"
export OMPI_MCA_oob_tcp_if_include=$NET_PREFIX.$SLOT.0/24
export OMPI_MCA_btl_tcp_if_include=$NET_PREFIX.$SLOT.0/24
EOF
}

# ---- start ----

check_tools() {
  [ "$(id -u)" = 0 ] || unavailable "needs root (network namespaces, a bridge, SlurmUser=root)"
  local t
  for t in ip unshare nsenter ssh ssh-keygen; do command -v $t >/dev/null 2>&1 || die "$t missing (scripts/deps.sh check)"; done
  for t in sshd slurmctld slurmd munged; do [ -x $SBIN/$t ] || die "$SBIN/$t missing: install openssh-server, slurm-wlm, munge (scripts/deps.sh check)"; done
  local why
  why=$(unshare --net --uts --mount true 2>&1) || unavailable "cannot create network/UTS/mount namespaces ($why)"
}

take_slot() { # creates the bridge iwcK for a free K; sets SLOT
  local k i why=""
  k=$((1 + RANDOM % 250))
  for i in $(seq 250); do
    if ! ip -4 -o addr show | grep -q " $NET_PREFIX\.$k\." && why=$(ip link add name "iwc$k" type bridge 2>&1); then
      SLOT=$k
      ip link set "iwc$k" alias "$DIR"
      echo "SLOT=$k" >"$STATE"
      return 0
    fi
    case "$why" in *"Operation not permitted"*|*"not supported"*|*"Unknown device type"*) unavailable "cannot create a bridge ($why)" ;; esac
    k=$((k % 250 + 1))
  done
  die "no free slot: bridges iwc1..iwc250 all exist (stale instances? scripts/cluster-local.sh stop with their IW_CLUSTER_DIR)"
}

start_node() { # start_node I: namespaces (holder), veth into the bridge, address, hostname, /etc/hosts, /run
  local i=$1 name addr nd h
  name=$(node_name "$i"); addr=$(node_addr "$i"); nd=$DIR/nodes/$name
  mkdir -p "$nd/tmp" "$DIR/nodetmp"
  IW_CLUSTER_INSTANCE=$DIR IW_CLUSTER_NODE=$name IW_CLUSTER_ROLE=holder \
    setsid unshare --net --uts --mount --propagation slave sh -c '
      hostname "$1" && mount --bind "$2/hosts" /etc/hosts && mount -t tmpfs -o mode=0755,size=16m iwrun /run &&
      mount --bind "$2/tmp" "$3" &&
      mkdir -p /run/sshd /run/lock && ip link set lo up && echo $$ >"$2/holder.pid" && exec sleep infinity' \
      holder "$name" "$nd" "$DIR/nodetmp" </dev/null >>"$DIR/log/holder-$name.out" 2>&1 &
  for _ in $(seq 50); do h=$(holder_of "$name") && [ -s "$nd/holder.pid" ] && break; sleep 0.1; done
  [ -n "${h:-}" ] && [ -s "$nd/holder.pid" ] || die "node $name: namespaces not ready; see $DIR/log/holder-$name.out"
  ip link add "iwc${SLOT}h$i" type veth peer name "iwc${SLOT}n$i" || die "node $name: cannot create a veth pair"
  ip link set "iwc${SLOT}h$i" master "iwc$SLOT" up || die "node $name: cannot attach the veth to the bridge"
  ip link set "iwc${SLOT}n$i" netns "$h" || die "node $name: cannot move the veth into its namespace"
  nsenter -t "$h" -n sh -c "ip link set iwc${SLOT}n$i name eth0 && ip addr add $addr/24 dev eth0 && ip link set eth0 up" ||
    die "node $name: cannot configure eth0"
}

write_ssh() { # keys, known_hosts, the client config and one sshd config per node
  local s=$DIR/ssh i name addr
  mkdir -p "$s" && chmod 0700 "$s"
  ssh-keygen -q -t ed25519 -N '' -C "iwcluster-client" -f "$s/id_ed25519" || die "ssh-keygen failed"
  cp "$s/id_ed25519.pub" "$s/authorized_keys"
  : >"$s/known_hosts"
  : >"$s/config"
  for i in $(seq "$NODES"); do
    name=$(node_name "$i"); addr=$(node_addr "$i")
    ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$s/host_$name" || die "ssh-keygen failed"
    echo "$name,$addr $(cut -d' ' -f1,2 "$s/host_$name.pub")" >>"$s/known_hosts"
    cat >>"$s/config" <<EOF
Host $name $addr
  HostName $addr
  HostKeyAlias $name
EOF
    cat >"$s/sshd_$name.conf" <<EOF
# sshd of node $name (scripts/cluster-local.sh); runs inside the node's namespaces
ListenAddress $addr:22
HostKey $s/host_$name
AuthorizedKeysFile $s/authorized_keys
PidFile $DIR/run/sshd-$name.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
MaxStartups 100:30:200
MaxSessions 100
LogLevel ERROR
EOF
  done
  cat >>"$s/config" <<EOF
Host *
  User root
  IdentityFile $s/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $s/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 10
  LogLevel ERROR
EOF
}

write_hosts() {
  local i name
  for i in $(seq "$NODES"); do
    name=$(node_name "$i")
    { echo "127.0.0.1 localhost"; echo "$NET_PREFIX.$SLOT.1 iwlogin"
      for j in $(seq "$NODES"); do echo "$(node_addr "$j") $(node_name "$j")"; done; } >"$DIR/nodes/$name/hosts"
  done
  : >"$DIR/hostfile"
  for i in $(seq "$NODES"); do echo "$(node_name "$i") slots=$(nproc)" >>"$DIR/hostfile"; done
}

write_slurm_conf() {
  local conf=$DIR/slurm/slurm.conf hw i nodes
  hw=$($SBIN/slurmd -C 2>/dev/null | grep '^NodeName=' | head -1 | sed 's/^NodeName=[^ ]* //')
  [ -n "$hw" ] || die "slurmd -C printed no NodeName line"
  nodes="iwnode[1-$NODES]"; [ "$NODES" = 1 ] && nodes=iwnode1
  cat >"$conf" <<EOF
# Generated by scripts/cluster-local.sh for a $NODES-node test cluster under $DIR.
ClusterName=iwcluster
FirstJobId=$((1000 + RANDOM * 30))
SlurmctldHost=iwnode1($(node_addr 1))
SlurmctldPort=6817
SlurmdPort=6818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket.2,cred_expire=10
StateSaveLocation=$DIR/slurm/state
# node-local scratch (each node mounts its own folder there): srun --mpi=pmix makes per-step
# folders named after the job in TmpFS, which would collide between the nodes in a shared /tmp
TmpFS=$DIR/nodetmp
SlurmdSpoolDir=$DIR/slurm/spool/%n
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd-%n.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$DIR/slurm/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobContainerType=job_container/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
SlurmctldTimeout=60
SlurmdTimeout=60
InactiveLimit=0
KillWait=10
MinJobAge=600
EOF
  for i in $(seq "$NODES"); do
    echo "NodeName=$(node_name "$i") NodeAddr=$(node_addr "$i") NodeHostname=$(node_name "$i") $hw State=UNKNOWN" >>"$conf"
  done
  echo "PartitionName=cluster Nodes=$nodes Default=YES MaxTime=INFINITE State=UP" >>"$conf"
  : >"$DIR/slurm/plugstack.conf"   # keep /etc/slurm/plugstack.conf (site SPANK plugins) out
}

start_munge() {
  mkdir -p "$DIR/munge" && chmod 0700 "$DIR/munge"
  if [ -x $SBIN/mungekey ]; then $SBIN/mungekey -c -k "$DIR/munge/munge.key" >/dev/null 2>&1 || die "mungekey failed"
  else dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none || die "dd failed"; fi
  chmod 0400 "$DIR/munge/munge.key"
  IW_CLUSTER_INSTANCE=$DIR setsid $SBIN/munged -F --force --socket="$DIR/munge/munge.socket.2" \
    --key-file="$DIR/munge/munge.key" --pid-file="$DIR/munge/munged.pid" \
    --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed" </dev/null >>"$DIR/log/munged.out" 2>&1 &
  for _ in $(seq 50); do [ -S "$DIR/munge/munge.socket.2" ] && return 0; sleep 0.1; done
  die "munged did not create its socket; see $DIR/log/munged.log"
}

# in_node_daemon NODE LOG CMD...: a daemon inside the node, marked with IW_CLUSTER_INSTANCE
in_node_daemon() {
  local node=$1 log=$2 h; shift 2
  h=$(holder_of "$node") || die "node $node is not running"
  IW_CLUSTER_INSTANCE=$DIR IW_CLUSTER_NODE=$node SLURM_CONF=$DIR/slurm/slurm.conf \
    setsid nsenter -t "$h" -n -u -m --wd=/ -- "$@" </dev/null >>"$log" 2>&1 &
}

slurm_states() { SLURM_CONF=$DIR/slurm/slurm.conf timeout 5 sinfo -h -N -o '%N %t' 2>/dev/null; }

do_status_quiet() { # 0 when every node answers ssh and Slurm reports every node usable
  load_state || return 1
  local i st n_ok=0
  for i in $(seq "$NODES"); do
    timeout 10 ssh -F "$DIR/ssh/config" "$(node_name "$i")" true 2>/dev/null || return 1
  done
  st=$(slurm_states) || return 1
  n_ok=$(echo "$st" | grep -c -E ' (idle|mix|alloc|comp)')
  [ "$n_ok" = "$NODES" ]
}

do_start() {
  local want=${1:-3}
  case "$want" in ''|*[!0-9]*) die "N must be a number of nodes (1..20), not '$want'" ;; esac
  [ "$want" -ge 1 ] && [ "$want" -le 20 ] || die "N must be 1..20, not $want"
  check_tools
  if [ -f "$MARK" ] && load_state; then
    if [ "$NODES" = "$want" ] && do_status_quiet; then print_env; return 0; fi
    say "a stale or different instance is in $DIR: stopping it first"
    IW_CLUSTER_KEEP= do_stop
  fi
  if [ -e "$DIR" ] && [ ! -f "$MARK" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
    die "$DIR exists and is not a cluster-local folder; choose another IW_CLUSTER_DIR"
  fi
  mkdir -p "$DIR"/{run,log,nodes,slurm/state,slurm/spool} || die "cannot create $DIR"
  chmod 0755 "$DIR"
  touch "$MARK"
  NODES=$want
  take_slot
  echo "NODES=$NODES" >>"$STATE"
  ip addr add "$NET_PREFIX.$SLOT.1/24" dev "iwc$SLOT" && ip link set "iwc$SLOT" up || die "cannot configure the bridge iwc$SLOT"
  local i name
  for i in $(seq "$NODES"); do mkdir -p "$DIR/nodes/$(node_name "$i")"; done
  write_hosts
  for i in $(seq "$NODES"); do start_node "$i"; done
  write_ssh
  for i in $(seq "$NODES"); do
    name=$(node_name "$i")
    in_node_daemon "$name" "$DIR/log/sshd-$name.out" $SBIN/sshd -D -f "$DIR/ssh/sshd_$name.conf" -E "$DIR/log/sshd-$name.log"
  done
  write_slurm_conf
  start_munge
  in_node_daemon iwnode1 "$DIR/log/slurmctld.out" $SBIN/slurmctld -D -f "$DIR/slurm/slurm.conf"
  for i in $(seq "$NODES"); do
    name=$(node_name "$i")
    mkdir -p "$DIR/slurm/spool/$name"
    in_node_daemon "$name" "$DIR/log/slurmd-$name.out" $SBIN/slurmd -D -N "$name" -f "$DIR/slurm/slurm.conf"
  done
  for _ in $(seq 300); do   # up to 30 s; about 2 s normally
    if do_status_quiet; then print_env; return 0; fi
    sleep 0.1
  done
  tail -5 "$DIR/log/slurmctld.log" "$DIR"/log/slurmd-*.log "$DIR"/log/sshd-*.log >&2 2>/dev/null
  say "sinfo: $(slurm_states | tr '\n' ' ')"
  die "the cluster did not come up within 30 s; logs in $DIR/log (run stop to clean up)"
}

# ---- stop ----

# running PID: exists and is not a zombie (processes whose parent has gone are reaped by pid 1,
# which may take its time; kill -0 succeeds on a zombie)
running() { local st; st=$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null | cut -d' ' -f2); [ -n "$st" ] && [ "$st" != Z ]; }

stop_pids() { # TERM, wait up to 5 s for all, then KILL what is left
  local p alive
  [ $# -eq 0 ] && return 0
  kill -TERM "$@" 2>/dev/null
  for _ in $(seq 50); do
    alive=""
    for p in "$@"; do running "$p" && alive="$alive $p"; done
    [ -z "$alive" ] && return 0
    sleep 0.1
  done
  kill -KILL $alive 2>/dev/null
}

do_stop() {
  [ -d "$DIR" ] || [ -n "$(marked_pids)" ] || [ -n "$(bridges_of_dir)" ] || return 0
  if [ -f "$DIR/slurm/slurm.conf" ] && [ -n "$(marked_pids iwnode1)" ]; then
    SLURM_CONF=$DIR/slurm/slurm.conf timeout 5 scancel --user=root >/dev/null 2>&1
  fi
  # every process inside the nodes (daemons, ssh sessions, orted, ranks, job tasks), then the
  # holders (the namespaces go with their last process), then what runs on the host (munged)
  local h inside="" holders="" host_side="" p
  for h in $(marked_pids); do
    if grep -qsxzF "IW_CLUSTER_ROLE=holder" "/proc/$h/environ"; then
      holders="$holders $h"
      for p in $(pids_in_netns_of "$h"); do [ "$p" != "$h" ] && inside="$inside $p"; done
    fi
  done
  for p in $(marked_pids); do
    case " $holders $inside " in *" $p "*) ;; *) host_side="$host_side $p" ;; esac
  done
  # TERM to all at once (munged last: the Slurm daemons use it while stopping), KILL what is
  # left after 5 s; the holders go last, with their namespaces
  stop_pids $inside
  stop_pids $host_side
  stop_pids $holders
  local b
  for b in $(bridges_of_dir); do ip link del "$b" 2>/dev/null; done
  if [ -z "${IW_CLUSTER_KEEP:-}" ] && [ -f "$MARK" ]; then rm -rf "$DIR"; fi
  return 0
}

bridges_of_dir() { # bridges named iwc* whose alias is DIR
  local b
  for b in $(ip -o link show type bridge 2>/dev/null | sed -n 's/^[0-9]*: \(iwc[0-9]*\)[:@].*/\1/p'); do
    [ "$(cat "/sys/class/net/$b/ifalias" 2>/dev/null)" = "$DIR" ] && echo "$b"
  done
}

do_status() {
  load_state || { say "not started in $DIR"; return 1; }
  local i name h
  for i in $(seq "$NODES"); do
    name=$(node_name "$i")
    if h=$(holder_of "$name"); then
      printf '%s %s: %d processes; ssh ' "$name" "$(node_addr "$i")" "$(pids_in_netns_of "$h" | wc -l)"
      timeout 10 ssh -F "$DIR/ssh/config" "$name" hostname 2>/dev/null || echo "does not answer"
    else
      echo "$name: not running"
    fi
  done
  SLURM_CONF=$DIR/slurm/slurm.conf timeout 5 sinfo 2>&1
  SLURM_CONF=$DIR/slurm/slurm.conf timeout 5 squeue 2>&1
  do_status_quiet && print_env
}

case "$cmd" in
  start)  do_start "${2:-3}" ;;
  stop)   do_stop ;;
  status) do_status ;;
  env)    print_env ;;
  pids)   [ $# -ge 2 ] || die "usage: $0 pids NODE"; h=$(holder_of "$2") || die "node $2 is not running"; pids_in_netns_of "$h" ;;
  exec)   [ $# -ge 3 ] || die "usage: $0 exec NODE CMD..."; node=$2; shift 2; in_node "$node" "$@" ;;
  *) echo "usage: $0 start [N]|stop|status|env|pids NODE|exec NODE CMD...   (folder: \$IW_CLUSTER_DIR, default /tmp/iwcluster)" >&2; exit 2 ;;
esac
