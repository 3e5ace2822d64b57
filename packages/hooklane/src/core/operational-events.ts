/**
 * Hooklane's own events about an account's webhooks (catalog.ts OPERATIONAL_EVENT_TYPES),
 * decided from what a batch of attempts does (attempt-outcome.ts's plan) and stored like any
 * event of the account, so they are fanned out, signed, retried and logged like the others.
 *
 * - `hooklane.webhook.failing`: the webhook's 4th failed attempt in a row.
 * - `hooklane.webhook.disabled`: the batch disabled it (`reason` `gone` or `failing_since`),
 *   or an admin did (`manual`).
 * - `hooklane.webhook.recovered`: its first success after failing.
 * - `hooklane.delivery.exhausted`: a delivery used up its attempts and failed (unless it
 *   carried an operational event, whose ids start with `hooklane.`).
 *
 * An event's id is derived from the attempt (or the edit) that caused it, so writing the same
 * results twice stores it once.
 *
 * @module
 */

import type { AttemptOutcomes, JudgedAttempt } from './attempt-outcome.ts';
import { OPERATIONAL_PREFIX } from './catalog.ts';

/** A judged attempt and the event its delivery carries (the first of a batch). */
export type OperationalInput = JudgedAttempt & { readonly eventId?: string | undefined };

/** Failed attempts in a row after which a webhook is announced as failing. */
export const FAILING_AFTER_ATTEMPTS = 4;

export const OPERATIONAL_EVENTS = {
  failing: 'hooklane.webhook.failing',
  disabled: 'hooklane.webhook.disabled',
  recovered: 'hooklane.webhook.recovered',
  exhausted: 'hooklane.delivery.exhausted',
} as const;

export type DisabledReason = 'gone' | 'failing_since' | 'manual';

/** What the plan needs to know of a webhook as the write begins (before its streak is written). */
export interface WebhookBefore {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly url: string;
  readonly failingSince: number | null;
  readonly consecutiveFailures: number;
}

/** An operational event as a store ingests it (the shape of store.ts's NewEvent). */
export interface OperationalEvent {
  readonly accountId: string;
  readonly id: string;
  readonly name: string;
  readonly typeId: string;
  readonly userId: string;
  /** The webhook it is about: fan-out never sends it there. */
  readonly contentId: string;
  readonly occurredAt: number;
  readonly body: string;
}

export interface OperationalPlan {
  readonly events: readonly OperationalEvent[];
  /** Each watched webhook's failed attempts in a row once the batch is written. */
  readonly consecutiveFailures: ReadonlyMap<string, number>;
}

/**
 * The operational events of a batch of attempts, and the failure counts to write. `before`:
 * the batch's webhooks that may yield events (those with a failure, or failing before), as
 * read in the write's transaction; `disabled`: those the write disabled.
 *
 * @example
 * const { events } = planOperationalEvents(results, plan, before, new Set(['wh_1']), Date.now());
 */
export function planOperationalEvents(
  results: readonly OperationalInput[],
  outcomes: AttemptOutcomes,
  before: ReadonlyMap<string, WebhookBefore>,
  disabled: ReadonlySet<string>,
  now: number,
): OperationalPlan {
  const events: OperationalEvent[] = [];
  const consecutiveFailures = new Map<string, number>();
  for (const outcome of outcomes.webhooks) {
    const webhook = before.get(outcome.webhookId);
    if (!webhook) continue;
    const own = results.filter((result) => result.attempt.webhookId === webhook.id);
    let count = webhook.consecutiveFailures;
    let lastFailure: OperationalInput | undefined;
    let lastSuccess: OperationalInput | undefined;
    for (const result of own) {
      if (result.verdict === 'succeeded') {
        count = 0;
        lastSuccess = result;
        continue;
      }
      count++;
      lastFailure = result;
      if (count === FAILING_AFTER_ATTEMPTS) {
        events.push(
          operationalEvent(OPERATIONAL_EVENTS.failing, webhook, result, now, { consecutiveFailures: count }),
        );
      }
      // An operational event's own exhausted delivery is not announced: failing webhooks that
      // subscribe to exhausted deliveries would otherwise announce each other's without end.
      if (result.verdict === 'failed' && !result.eventId?.startsWith(OPERATIONAL_PREFIX)) {
        events.push(
          operationalEvent(OPERATIONAL_EVENTS.exhausted, webhook, result, now, {
            attemptCount: result.attempt.number,
          }),
        );
      }
    }
    consecutiveFailures.set(webhook.id, count);
    if (outcome.streak.ended && webhook.failingSince !== null && lastSuccess) {
      events.push(operationalEvent(OPERATIONAL_EVENTS.recovered, webhook, lastSuccess, now, {}));
    }
    if (disabled.has(webhook.id) && outcome.disable && lastFailure) {
      const reason: DisabledReason = outcome.disable.always ? 'gone' : 'failing_since';
      events.push(operationalEvent(OPERATIONAL_EVENTS.disabled, webhook, lastFailure, now, { reason }));
    }
  }
  return { events, consecutiveFailures };
}

/** `hooklane.webhook.disabled` for a webhook an admin disabled (`editId`: the edit's unique id). */
export function manuallyDisabled(
  webhook: Omit<WebhookBefore, 'consecutiveFailures'>,
  editId: string,
  now: number,
): OperationalEvent {
  return build(OPERATIONAL_EVENTS.disabled, webhook, `${editId}.disabled`, now, {
    deliveryId: null,
    eventId: null,
    lastStatus: null,
    reason: 'manual' satisfies DisabledReason,
  });
}

function operationalEvent(
  name: string,
  webhook: WebhookBefore,
  { attempt, eventId }: OperationalInput,
  now: number,
  extra: Record<string, unknown>,
): OperationalEvent {
  const kind = name.slice(name.lastIndexOf('.') + 1);
  return build(name, webhook, `${attempt.deliveryId}.${attempt.number}.${kind}`, now, {
    deliveryId: attempt.deliveryId,
    eventId: eventId ?? null,
    lastStatus: attempt.responseStatus,
    ...extra,
  });
}

function build(
  name: string,
  webhook: Omit<WebhookBefore, 'consecutiveFailures'>,
  id: string,
  now: number,
  attributes: Record<string, unknown>,
): OperationalEvent {
  const body = {
    id: `hooklane.${id}`,
    name,
    account_id: webhook.accountId,
    user_id: 'hooklane',
    group_id: null,
    timestamp: now,
    ingested_at: now,
    attributes: {
      webhookId: webhook.id,
      webhookName: webhook.name,
      webhookUrl: webhook.url,
      ...attributes,
    },
    context: null,
  };
  return {
    accountId: webhook.accountId,
    id: body.id,
    name,
    typeId: name,
    userId: body.user_id,
    contentId: webhook.id,
    occurredAt: now,
    body: JSON.stringify(body),
  };
}
