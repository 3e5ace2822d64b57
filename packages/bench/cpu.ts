import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** A process's command name and utime + stime in clock ticks, from the text of /proc/<pid>/stat. */
export function parseProcessStat(stat: string): { comm: string; ticks: number } {
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const fields = stat.slice(close + 2).split(' ');
  return { comm, ticks: Number(fields[11]) + Number(fields[12]) };
}

/** Busy clock ticks of the whole machine (every core), from the text of /proc/stat. */
export function parseMachineBusy(procStat: string): number {
  const fields = procStat.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // idle and iowait are the 4th and 5th fields; guest time is already inside user and nice.
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return user + nice + system + irq + softirq + steal;
}

/**
 * CPU seconds by group over a measured span, from tick counts: each group's, the load
 * generator's (this process), `other` (the machine's busy time that no group accounts for:
 * other processes, the kernel's own work) and `wall`.
 */
export function account(span: {
  readonly groupTicks: Readonly<Record<string, number>>;
  readonly selfSeconds: number;
  readonly machineTicks: number;
  readonly wallSeconds: number;
}): Record<string, number> {
  const twoPlaces = (seconds: number) => Math.round(seconds * 100) / 100;
  const result: Record<string, number> = {};
  for (const [group, ticks] of Object.entries(span.groupTicks))
    result[group] = twoPlaces(ticks / TICKS_PER_SECOND);
  result.load_generator = twoPlaces(span.selfSeconds);
  const accounted = Object.values(result).reduce((sum, value) => sum + value, 0);
  result.other = Math.max(0, twoPlaces(span.machineTicks / TICKS_PER_SECOND - accounted));
  result.wall = twoPlaces(span.wallSeconds);
  return result;
}

/** Cores' worth of CPU that the rest of the machine used during a span measured by `account`. */
export function otherCores(cpu: Readonly<Record<string, number>> | undefined): number {
  return cpu?.other && cpu.wall ? Math.round((cpu.other / cpu.wall) * 100) / 100 : 0;
}

/** CPU µs per event of the system under test: its own processes and its store's (PostgreSQL or Redis). */
export function microsPerEvent(cpu: Readonly<Record<string, number>>, events: number): number {
  return events > 0 ? Math.round((((cpu.system ?? 0) + (cpu.store ?? 0)) * 1e6) / events) : 0;
}

/** utime + stime of one process in clock ticks, or null when it is gone. */
function ticksOf(pid: number): { comm: string; ticks: number } | null {
  try {
    return parseProcessStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
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

const machineBusyTicks = () => parseMachineBusy(readFileSync('/proc/stat', 'utf8'));

/** PostgreSQL's server processes and the bench's backends. */
export const postgresPids = (): number[] => pidsNamed('postgres', benchPostgres);

export type CpuGroups = Record<string, () => readonly number[]>;

/**
 * CPU seconds spent by groups of processes over a scenario (the system's own processes, its
 * store's, the receiver's), by the load generator (this process), and `other`: the rest of the
 * machine's busy time. On a 2-core machine they all compete; this shows where the cores went.
 */
export function measureCpu(groups: CpuGroups): { stop(): Record<string, number> } {
  const start = new Map<number, number>();
  for (const pids of Object.values(groups))
    for (const pid of pids()) if (!start.has(pid)) start.set(pid, ticksOf(pid)?.ticks ?? 0);
  const selfStart = process.cpuUsage();
  const machineStart = machineBusyTicks();
  const startedAt = performance.now();
  // Processes that start during the scenario (workers started later) count from zero: at stop,
  // a process not seen at the start is counted whole. The groups are also looked for every
  // 500 ms, to count one that starts and ends within the scenario. A group whose search reads
  // every process's /proc files (PostgreSQL's: 6 ms on an idle machine, 25-45 ms on a busy one)
  // is read only at the start and the stop: done here, in the load generator, more often, it
  // stalled the paced sender, which then sent the requests it owed as a burst.
  const timer = setInterval(() => {
    for (const [group, pids] of Object.entries(groups)) {
      if (group === 'store' || group === 'postgres') continue;
      for (const pid of pids()) if (!start.has(pid)) start.set(pid, 0);
    }
  }, 500);
  return {
    stop() {
      clearInterval(timer);
      const groupTicks: Record<string, number> = {};
      for (const [group, pids] of Object.entries(groups)) {
        let ticks = 0;
        for (const pid of pids()) {
          const now = ticksOf(pid)?.ticks;
          if (now !== undefined) ticks += now - (start.get(pid) ?? 0);
        }
        groupTicks[group] = ticks;
      }
      const self = process.cpuUsage(selfStart);
      return account({
        groupTicks,
        selfSeconds: (self.user + self.system) / 1e6,
        machineTicks: machineBusyTicks() - machineStart,
        wallSeconds: (performance.now() - startedAt) / 1000,
      });
    },
  };
}
