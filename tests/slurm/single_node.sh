#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, for testing the workflow's SLURM profile against a real
# scheduler (tests/test_slurm.py runs it; you can too, to try the profile before your cluster does).
#
#   tests/slurm/single_node.sh start DIR   # install slurm-wlm + munge if missing (root), start the daemons
#   tests/slurm/single_node.sh stop DIR    # stop the daemons this script started
#
# Everything but munge's key lives in DIR: slurm.conf, state, logs, pid files. Clients find the cluster by
# `export SLURM_CONF=DIR/slurm.conf`. Settings are the smallest that run jobs on Debian's slurm-wlm 22.05
# without cgroups or an accounting database: proctrack/linuxproc, task/none, no accounting storage; so job
# status comes from squeue, which remembers finished jobs for MinJobAge seconds.
set -euo pipefail

command=${1:?usage: single_node.sh start|stop DIR}
dir=$(mkdir -p "${2:?usage: single_node.sh start|stop DIR}" && cd "$2" && pwd)

stop() {
    for daemon in slurmd slurmctld munged; do
        if [[ -s "$dir/$daemon.pid" ]]; then
            kill "$(cat "$dir/$daemon.pid")" 2>/dev/null || true
            rm -f "$dir/$daemon.pid"
        fi
    done
}

if [[ $command == stop ]]; then
    stop
    exit 0
fi
[[ $command == start ]] || { echo "usage: single_node.sh start|stop DIR" >&2; exit 2; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
        echo "slurm-wlm and munge are not installed, and installing them needs root and apt-get" >&2
        exit 3
    fi
    echo "installing slurm-wlm and munge (Debian packages)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >"$dir/apt.log" 2>&1 \
        || { cat "$dir/apt.log" >&2; exit 3; }
fi
if [[ $(id -u) != 0 ]]; then
    echo "starting slurmd needs root (it runs jobs as their users)" >&2
    exit 3
fi

host=$(hostname -s)
cpus=$(nproc)
# What a job may ask for: the machine's memory less 1 GiB for the system.
memory_mb=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024))
mkdir -p "$dir/state" "$dir/spool"
cat >"$dir/slurm.conf" <<EOF
ClusterName=spice-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
SlurmctldParameters=enable_configless
MinJobAge=600
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$dir/slurm.conf

# munge authenticates the daemons to each other; Debian's package made the key.
if ! pgrep -x munged >/dev/null; then
    mkdir -p /run/munge && chown munge:munge /run/munge
    runuser -u munge -- munged
    pgrep -xo munged >"$dir/munged.pid"
fi
slurmctld -f "$SLURM_CONF"
# slurmd fetches its configuration from slurmctld and caches it in /run/slurm/conf, where commands inside a
# job find it: snakemake's job step drops SLURM_* variables, SLURM_CONF among them, before it calls srun.
slurmd --conf-server 127.0.0.1

for _ in $(seq 60); do
    if [[ $(sinfo --noheader --format=%t 2>/dev/null) == idle ]]; then
        echo "SLURM is up: node $host, $cpus CPUs, $memory_mb MB; export SLURM_CONF=$SLURM_CONF"
        exit 0
    fi
    sleep 1
done
echo "SLURM did not come up within 60 s; sinfo says: $(sinfo 2>&1)" >&2
tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
stop
exit 1
