import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** utime + stime of one process in clock ticks, or null when it is gone. */
function ticksOf(pid: number): { comm: string; ticks: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

/**
 * Every running process whose command name is `name` and whose command line `keep` accepts.
 * PostgreSQL backends are titled `postgres: <cluster>: <user> <database> <client> <state>`.
 */
function pidsNamed(name: string, keep: (cmdline: string) => boolean = () => true): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = ticksOf(Number(entry));
    if (info?.comm !== name) continue;
    try {
      if (keep(readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ')))
        found.push(Number(entry));
    } catch {
      // Gone.
    }
  }
  return found;
}

/** The server's own processes and the bench's backends; not other clients' backends. */
function benchPostgres(cmdline: string): boolean {
  const backend = /^postgres: [^:]+: \S+ (\S+) (?:\d[\d.:a-f]*\(\d+\)|\[local\])/.exec(cmdline);
  return backend === null || backend[1]!.includes('_bench_');
}

/** Busy jiffies of the whole machine (every core), from /proc/stat. */
function machineBusyTicks(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return user + nice + system + irq + softirq + steal;
}

/** PostgreSQL's server processes and the bench's backends. */
export const postgresPids = (): number[] => pidsNamed('postgres', benchPostgres);

export type CpuGroups = Record<string, () => readonly number[]>;

/**
 * CPU seconds spent by groups of processes over a scenario: the system's own processes,
 * the receiver, the load generator (this process), PostgreSQL (the server's processes and
 * the bench's backends) and Redis, and `other`: the rest of the machine's busy time. On a
 * 2-core machine they all compete; this shows where the cores went.
 */
export function measureCpu(groups: CpuGroups): { stop(): Record<string, number> } {
  const named: CpuGroups = {
    ...groups,
    postgres: postgresPids,
    redis: () => pidsNamed('redis-server'),
  };
  const start = new Map<number, number>();
  const snapshot = (pids: readonly number[]) => {
    for (const pid of pids) {
      if (!start.has(pid)) start.set(pid, ticksOf(pid)?.ticks ?? 0);
    }
  };
  for (const pids of Object.values(named)) snapshot(pids());
  const selfStart = process.cpuUsage();
  const machineStart = machineBusyTicks();
  const startedAt = performance.now();
  // Processes that start during the scenario (workers started later) count from zero: at stop,
  // a process not seen at the start is counted whole. The system's and the receiver's processes
  // are also looked for every 500 ms, to count one that starts and ends within the scenario; not
  // PostgreSQL's and Redis's, whose search reads every process's /proc files (6 ms on an idle
  // machine, 25-45 ms on a busy one): done here, in the load generator, it stalled the paced
  // sender, which then sent the requests it owed as a burst.
  const timer = setInterval(() => {
    for (const pids of Object.values(groups))
      for (const pid of pids()) if (!start.has(pid)) start.set(pid, 0);
  }, 500);
  return {
    stop() {
      clearInterval(timer);
      const result: Record<string, number> = {};
      for (const [group, pids] of Object.entries(named)) {
        let ticks = 0;
        for (const pid of pids()) {
          const now = ticksOf(pid)?.ticks;
          if (now !== undefined) ticks += now - (start.get(pid) ?? 0);
        }
        result[group] = Math.round((ticks / TICKS_PER_SECOND) * 100) / 100;
      }
      const self = process.cpuUsage(selfStart);
      result.load_generator = Math.round((self.user + self.system) / 10_000) / 100;
      const accounted = Object.values(result).reduce((sum, value) => sum + value, 0);
      const machine = (machineBusyTicks() - machineStart) / TICKS_PER_SECOND;
      // Everything else on the machine (other processes, the kernel's own work): noise to report.
      result.other = Math.max(0, Math.round((machine - accounted) * 100) / 100);
      result.wall = Math.round((performance.now() - startedAt) / 10) / 100;
      return result;
    },
  };
}

/** Cores' worth of CPU the rest of the machine is busy with while the bench idles for `ms`. */
export async function backgroundLoad(ms = 1_000): Promise<number> {
  const start = machineBusyTicks();
  const self = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const own = process.cpuUsage(self);
  const busy = (machineBusyTicks() - start) / TICKS_PER_SECOND - (own.user + own.system) / 1e6;
  return Math.max(0, Math.round((busy / (ms / 1000)) * 100) / 100);
}
