# slurm-conf-common.sh — the part of slurm.conf that scripts/slurm-local.sh (one node) and
# scripts/cluster-local.sh (N namespace nodes) share; sourced by both. The choices, and why, are
# in the headers of those scripts and in docs/MACHINE-NOTES.md ("A real Slurm on one machine").

# slurm_conf_common MUNGE_SOCKET SLURMCTLD_LOG SLURMD_LOG PLUGSTACK: prints the shared lines
# (munge authentication, root daemons, logs, no cgroups, no accounting, backfill with a 2 s
# interval, timeouts) for the caller to append to its slurm.conf, and creates PLUGSTACK empty so
# that /etc/slurm/plugstack.conf (a site's SPANK plugins) stays out. SLURMD_LOG may hold %n (the
# node name). Non-zero when PLUGSTACK cannot be written.
slurm_conf_common() {
  local socket=$1 ctld_log=$2 slurmd_log=$3 plugstack=$4
  : >"$plugstack" || return 1
  cat <<CONF
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire=10: a requeued job restarts after ~13 s instead of ~130 s
AuthInfo=socket=$socket,cred_expire=10
SlurmctldLogFile=$ctld_log
SlurmdLogFile=$slurmd_log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$plugstack
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
CONF
}
