import type { Attempt } from './model.ts';

/** How the engine judged a finished attempt (retry-policy.ts decides which). */
export type AttemptVerdict = 'succeeded' | 'retry' | 'failed' | 'gone';

/** A finished attempt with its verdict: what the store is given to write. */
export interface JudgedAttempt {
  readonly attempt: Pick<
    Attempt,
    'deliveryId' | 'webhookId' | 'number' | 'startedAt' | 'durationMs' | 'responseStatus' | 'error'
  >;
  readonly verdict: AttemptVerdict;
  /** For `retry`: when the next attempt is due. */
  readonly nextAttemptAt: number | null;
  /** A webhook failing since before this is disabled by this failure. */
  readonly disableIfFailingSince: number;
}

/** What an attempt makes of its delivery. A store never revives a cancelled delivery. */
export interface DeliveryOutcome {
  readonly deliveryId: string;
  readonly status: 'succeeded' | 'pending' | 'failed';
  readonly nextAttemptAt: number | null;
  readonly attemptCount: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly updatedAt: number;
}

/** What a batch of attempts makes of one webhook's failure streak, and whether it is disabled. */
export interface WebhookOutcome {
  readonly webhookId: string;
  /** When its last attempt in the batch ended. */
  readonly at: number;
  /**
   * `ended`: its last attempt succeeded; the streak is over. Otherwise it is failing since
   * `since`: kept when it was failing already, unless a success earlier in this batch ended
   * that streak (`restart`).
   */
  readonly streak:
    | { readonly ended: true }
    | { readonly ended: false; readonly since: number; readonly restart: boolean };
  /**
   * Disable it (if enabled) with `reason`: `always`, or when, its streak written, it has been
   * failing since `ifFailingSince` or earlier.
   */
  readonly disable: {
    readonly reason: string;
    readonly always: boolean;
    readonly ifFailingSince: number;
  } | null;
}

export interface AttemptOutcomes {
  readonly deliveries: readonly DeliveryOutcome[];
  /** In webhook id order (the order a store locks them in). */
  readonly webhooks: readonly WebhookOutcome[];
}

export const DISABLED_GONE = 'the endpoint answered 410 Gone';
export const DISABLED_FAILING = 'the endpoint kept failing';
/** A pending delivery's reason when its webhook is disabled. */
export const WEBHOOK_DISABLED = 'webhook disabled';

/** Whether the outcomes depend on which webhooks are enabled (a retry needs an enabled one). */
export function needsEnabledWebhooks(results: readonly JudgedAttempt[]): boolean {
  return results.some((result) => result.verdict === 'retry');
}

/**
 * What a batch of finished attempts does to their deliveries and webhooks, decided once for
 * every store, which then writes it. `enabled`: the batch's webhooks that are enabled as the
 * write begins (a store locks or reads them in the write's transaction); it matters only when
 * `needsEnabledWebhooks`.
 *
 * - A success settles its delivery. A retry keeps it pending until its next attempt, unless the
 *   webhook was disabled or deleted meanwhile: then, like an exhausted one, it fails.
 * - A webhook's last attempt in the batch decides its streak, as one by one: a success ends
 *   it; a failure starts one at the first failure after the batch's last success.
 * - A 410 disables its webhook. A streak disables it once it started no later than a failure's
 *   `disableIfFailingSince` (the latest of the batch's streak); a success in the batch after
 *   the failures spares it.
 *
 * @example
 * const { deliveries, webhooks } = planAttemptOutcomes(results, new Set(['wh_1']));
 */
export function planAttemptOutcomes(
  results: readonly JudgedAttempt[],
  enabled: ReadonlySet<string>,
): AttemptOutcomes {
  const deliveries = results.map(({ attempt, verdict, nextAttemptAt }): DeliveryOutcome => {
    const retry = verdict === 'retry' && enabled.has(attempt.webhookId);
    return {
      deliveryId: attempt.deliveryId,
      status: verdict === 'succeeded' ? 'succeeded' : retry ? 'pending' : 'failed',
      nextAttemptAt: retry ? nextAttemptAt : null,
      attemptCount: attempt.number,
      lastStatus: attempt.responseStatus,
      lastError: attempt.error,
      updatedAt: attempt.startedAt + attempt.durationMs,
    };
  });
  const byWebhook = new Map<string, JudgedAttempt[]>();
  for (const result of results) {
    const list = byWebhook.get(result.attempt.webhookId) ?? [];
    list.push(result);
    byWebhook.set(result.attempt.webhookId, list);
  }
  const webhooks = [...byWebhook.keys()].sort().map((webhookId) => {
    const own = byWebhook.get(webhookId) ?? [];
    return webhookOutcome(webhookId, own);
  });
  return { deliveries, webhooks };
}

function webhookOutcome(webhookId: string, results: readonly JudgedAttempt[]): WebhookOutcome {
  let succeeded = false;
  let since: number | null = null;
  let threshold = Number.NEGATIVE_INFINITY;
  let gone = false;
  for (const { attempt, verdict, disableIfFailingSince } of results) {
    if (verdict === 'gone') gone = true;
    if (verdict === 'succeeded') {
      succeeded = true;
      since = null;
      threshold = Number.NEGATIVE_INFINITY;
      continue;
    }
    since ??= attempt.startedAt;
    threshold = Math.max(threshold, disableIfFailingSince);
  }
  const last = results.at(-1)?.attempt;
  const at = last ? last.startedAt + last.durationMs : 0;
  const streak =
    since === null ? ({ ended: true } as const) : { ended: false as const, since, restart: succeeded };
  const disable = gone
    ? { reason: DISABLED_GONE, always: true, ifFailingSince: 0 }
    : since !== null
      ? { reason: DISABLED_FAILING, always: false, ifFailingSince: threshold }
      : null;
  return { webhookId, at, streak, disable };
}
