import { readFileSync } from 'node:fs';

/** One field of /proc/<pid>/status in kB, or null when the process is gone. */
function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

export interface RssResult {
  /** Largest sum of VmRSS over the system's processes among the samples. */
  readonly peakMb: number;
  /** Sum of each process's VmHWM (lifetime high-water mark) at the last sample: an upper bound. */
  readonly hwmSumMb: number;
  readonly samples: number;
}

/**
 * Samples the summed VmRSS of `pids()` (read at every tick, so processes started later
 * are included) every `intervalMs` until stopped.
 */
export function sampleRss(pids: () => readonly number[], intervalMs = 200): { stop(): RssResult } {
  let peakKb = 0;
  let samples = 0;
  const hwm = new Map<number, number>();
  const tick = () => {
    let sum = 0;
    for (const pid of pids()) {
      sum += statusKb(pid, 'VmRSS') ?? 0;
      const high = statusKb(pid, 'VmHWM');
      if (high !== null) hwm.set(pid, high);
    }
    peakKb = Math.max(peakKb, sum);
    samples++;
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      let hwmKb = 0;
      for (const value of hwm.values()) hwmKb += value;
      return {
        peakMb: Math.round(peakKb / 102.4) / 10,
        hwmSumMb: Math.round(hwmKb / 102.4) / 10,
        samples,
      };
    },
  };
}
