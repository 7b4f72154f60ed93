import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { tempDir } from './cli';
import { signalChild } from '../../lib/util/signalChild';

export interface Slurm {
  /** SLURM_CONF (and the munge socket) for sbatch / squeue / scontrol run by the test and by gatebook */
  env: Record<string, string>;
  dir: string;
  stop(): Promise<void>;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A real single-node SLURM (Debian slurm-wlm: munged, slurmctld, slurmd in the foreground)
 * with its own munge key and socket, config, state folders and ports, started and stopped
 * by the test (../shared/SLURM.md): one node on 127.0.0.1 with this machine's cores.
 */
export async function startSlurm(cpus = 2): Promise<Slurm> {
  const dir = tempDir('slurm-');
  for (const d of ['state', 'spool', 'log']) mkdirSync(join(dir, d));
  const node = hostname().split('.')[0];
  const port = 16817 + Math.floor(Math.random() * 2000) * 2;
  execFileSync('mungekey', ['-c', '-k', join(dir, 'munge.key')]);
  const socket = join(dir, 'munge.socket');
  execFileSync('munged', [`--socket=${socket}`, `--key-file=${join(dir, 'munge.key')}`, `--pid-file=${join(dir, 'munged.pid')}`, `--log-file=${join(dir, 'log', 'munged.log')}`, `--seed-file=${join(dir, 'munge.seed')}`, '--force']);
  const conf = join(dir, 'slurm.conf');
  writeFileSync(conf, [
    'ClusterName=gatebook-test', `SlurmctldHost=${node}(127.0.0.1)`, 'SlurmUser=root', 'AuthType=auth/munge', 'CredType=cred/munge', `AuthInfo=socket=${socket}`,
    `SlurmctldPort=${port}`, `SlurmdPort=${port + 1}`,
    `StateSaveLocation=${join(dir, 'state')}`, `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`, `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`, `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
    'MailProg=/bin/true', 'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none', 'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none', 'JobCompType=jobcomp/filetxt', `JobCompLoc=${join(dir, 'log', 'jobcomp.txt')}`,
    'SchedulerType=sched/backfill', 'SchedulerParameters=batch_sched_delay=0', 'SelectType=select/cons_tres', 'SelectTypeParameters=CR_Core_Memory',
    'DefMemPerCPU=500', 'ReturnToService=2', 'MinJobAge=300',
    `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} Sockets=1 CoresPerSocket=${cpus} ThreadsPerCore=1 RealMemory=8000 State=UNKNOWN`,
    'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP', '',
  ].join('\n'));
  const env = { SLURM_CONF: conf };
  const daemons: ChildProcess[] = [
    spawn('slurmctld', ['-D', '-i', '-f', conf], { stdio: 'ignore', env: { ...process.env, ...env } }),
    spawn('slurmd', ['-D', '-f', conf], { stdio: 'ignore', env: { ...process.env, ...env } }),
  ];
  for (let i = 0; ; i++) {
    try {
      if (/idle/.test(execFileSync('sinfo', ['-h', '-o', '%T'], { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))) break;
    } catch { /* not up yet */ }
    if (i > 200) throw new Error(`SLURM did not come up (logs in ${join(dir, 'log')})`);
    await wait(100);
  }
  return {
    env, dir,
    stop: async () => {
      try {
        execFileSync('scancel', ['--user', 'root'], { env: { ...process.env, ...env }, stdio: 'ignore' });
      } catch { /* nothing to cancel */ }
      await wait(500);
      for (const d of daemons) signalChild(d);
      await wait(300);
      try {
        execFileSync('pkill', ['-f', `munged --socket=${socket}`]);
      } catch { /* gone */ }
    },
  };
}
