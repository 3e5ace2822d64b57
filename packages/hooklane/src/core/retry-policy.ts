import type { PayloadFormat } from './model.ts';
/**
 * When to try a failed delivery again. Pure: the caller passes the clock reading and a
 * random number so the schedule is testable.
 */
export interface RetryPolicy {
  /** Delays between consecutive attempts, in ms: attempt n+1 waits schedule[n-1] after attempt n. */
  readonly schedule: readonly number[];
  /** Jitter as a fraction of the delay: 0.2 = ±20%. */
  readonly jitter: number;
}

export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [
  5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
];

/** Statuses and errors that get another attempt; everything but 2xx does (receivers misconfigure), 410 excepted. */
export type AttemptOutcome =
  | { kind: 'success'; status: number }
  | { kind: 'gone'; status: 410 }
  | { kind: 'retryable'; status: number | null; retryAfterMs: number | null };

/** Classifies a response status (null = no response: network error or timeout). */
export function classifyStatus(
  status: number | null,
  retryAfterMs: number | null = null,
  format?: PayloadFormat,
): AttemptOutcome {
  if (status !== null && status >= 200 && status < 300) return { kind: 'success', status };
  // A Google Apps Script web app answers a POST with a 302 to its output once it has run.
  if (status === 302 && format === 'google_sheets') return { kind: 'success', status };
  if (status === 410) return { kind: 'gone', status: 410 };
  const honoursRetryAfter = status === 429 || status === 503;
  return { kind: 'retryable', status, retryAfterMs: honoursRetryAfter ? retryAfterMs : null };
}

/**
 * The delay before the next attempt after `attemptNumber` (1-based) failed, or null when
 * the schedule is exhausted. `Retry-After` is honoured within [step, 2 × step].
 */
export function nextDelayMs(
  policy: RetryPolicy,
  attemptNumber: number,
  retryAfterMs: number | null,
  random: number,
): number | null {
  const step = policy.schedule[attemptNumber - 1];
  if (step === undefined) return null;
  if (retryAfterMs !== null) return Math.min(Math.max(retryAfterMs, step), 2 * step);
  const factor = 1 + policy.jitter * (2 * random - 1);
  return Math.max(0, Math.round(step * factor));
}

/** Parses a Retry-After header (delta-seconds or an HTTP date) into ms from `nowMs`. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}
