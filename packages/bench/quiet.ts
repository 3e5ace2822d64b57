import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** The 1-minute load average, from the text of /proc/loadavg. */
export function parseLoadavg(text: string): number {
  const first = /^\d+(?:\.\d+)?(?=\s|$)/.exec(text.trim());
  if (!first) throw new Error(`unexpected /proc/loadavg: ${text}`);
  return Number(first[0]);
}

/** What to do with a load reading: go on (quiet), wait and read again, or go on anyway. */
export function quietDecision(reading: {
  readonly load: number;
  readonly threshold: number;
  readonly now: number;
  readonly giveUpAt: number;
}): 'quiet' | 'wait' | 'give-up' {
  if (reading.load < reading.threshold) return 'quiet';
  return reading.now >= reading.giveUpAt ? 'give-up' : 'wait';
}

export interface QuietWait {
  /** The 1-minute load average when the wait ended. */
  readonly load: number;
  readonly waitedMs: number;
  /** false: the wait gave up with the machine still busy. */
  readonly quiet: boolean;
}

/**
 * Waits until the 1-minute load average is under `threshold`, reading /proc/loadavg every
 * `pollMs`, for at most `maxWaitMs`; says so through `log` when it gives up. A system started
 * on a busy machine measures the machine, not itself.
 */
export async function waitForQuiet(options: {
  readonly threshold: number;
  readonly maxWaitMs: number;
  readonly pollMs?: number;
  readonly log: (line: string) => void;
  readonly read?: () => string;
}): Promise<QuietWait> {
  const read = options.read ?? (() => readFileSync('/proc/loadavg', 'utf8'));
  const pollMs = options.pollMs ?? 5_000;
  const startedAt = Date.now();
  const giveUpAt = startedAt + options.maxWaitMs;
  let told = false;
  for (;;) {
    const load = parseLoadavg(read());
    const decision = quietDecision({ load, threshold: options.threshold, now: Date.now(), giveUpAt });
    const waitedMs = Date.now() - startedAt;
    if (decision === 'quiet') return { load, waitedMs, quiet: true };
    if (decision === 'give-up') {
      options.log(
        `  the machine is still busy (1-minute load ${load} ≥ ${options.threshold}) after ${Math.round(waitedMs / 1000)} s; going on, figures of this run are suspect`,
      );
      return { load, waitedMs, quiet: false };
    }
    if (!told) options.log(`  waiting for a quiet machine (1-minute load ${load} ≥ ${options.threshold})`);
    told = true;
    await sleep(Math.min(pollMs, Math.max(0, giveUpAt - Date.now())));
  }
}
