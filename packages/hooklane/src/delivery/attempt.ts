import type { KeyObject } from 'node:crypto';
import { redactRequestHeaders } from '../core/header-masking.ts';
import type { Attempt, PayloadFormat } from '../core/model.ts';
import { bodyCarriesSecret, isTemplated, renderDeliveryBody } from '../core/payload-formats.ts';
import { classifyStatus, nextDelayMs, parseRetryAfter, type RetryPolicy } from '../core/retry-policy.ts';
import { signatureHeaders } from '../core/signatures.ts';
import type { AttemptRecord, AttemptVerdict, ClaimedDelivery } from '../store/store.ts';
import type { SendResult } from './sender.ts';

/**
 * One attempt at a claimed delivery, without I/O: what to send (`prepareAttempt`) and what
 * the answer means (`settleAttempt`). The engine does the sending, the clock and the ids.
 */

export const USER_AGENT = 'Hooklane/0.1 (+https://github.com/hooklane/hooklane)';

/** What every attempt records whatever its outcome. */
export type AttemptBase = Pick<
  Attempt,
  'id' | 'deliveryId' | 'accountId' | 'webhookId' | 'number' | 'startedAt' | 'url'
>;

export interface AttemptRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** An attempt to send, or one that is over before it starts (its record is ready to write). */
export type PreparedAttempt =
  | {
      readonly kind: 'send';
      readonly base: AttemptBase;
      readonly request: AttemptRequest;
      /** The delivery's format: how its answer is judged (`google_sheets` takes a 302). */
      readonly format?: PayloadFormat;
    }
  | { readonly kind: 'settled'; readonly record: AttemptRecord };

export interface AttemptPolicy {
  readonly retry: RetryPolicy;
  /** A webhook failing continuously this long is disabled by its next failure. */
  readonly disableAfterMs: number;
}

/**
 * The request for the next attempt at `claimed`: its payload, headers and signatures.
 * `keyOf` turns a sealed secret into its signing key, `openSecret` into the secret in clear
 * (for a template's `{{$secret}}`); `attemptId` and `startedAt` come from the caller so that
 * the same input always gives the same request. A template that cannot render for the event
 * settles the attempt as failed, not retried: the same event would render the same.
 */
export function prepareAttempt(
  { delivery, webhook, secrets, events }: ClaimedDelivery,
  attemptId: string,
  startedAt: number,
  keyOf: (sealed: string) => KeyObject,
  openHeaders: (stored: Readonly<Record<string, string>>) => Readonly<Record<string, string>> = (stored) =>
    stored,
  openSecret: (sealed: string) => string = () => {
    throw new Error('no way to open secrets was given');
  },
): PreparedAttempt {
  const base: AttemptBase = {
    id: attemptId,
    deliveryId: delivery.id,
    accountId: delivery.accountId,
    webhookId: webhook.id,
    number: delivery.attemptCount + 1,
    startedAt,
    url: webhook.url,
  };
  if (events.length === 0) return settledFailure(base, 'the event is no longer stored');
  // Only a template can use the secret (`{{$secret}}`), and only while the webhook is set to send
  // it: a delivery made before a switch to a format without it (and perhaps a move to another
  // URL) does not carry it there. The others never open it.
  const sendsSecret = isTemplated(delivery.format) && bodyCarriesSecret(webhook.format, webhook.template);
  const newest = sendsSecret ? secrets[0] : undefined;
  const rendered = renderDeliveryBody(
    delivery.format,
    { name: delivery.webhookName, template: webhook.template },
    events,
    newest ? openSecret(newest.sealed) : null,
  );
  if (!rendered.ok) return settledFailure(base, `The body could not be rendered: ${rendered.error}`);
  const body = rendered.body;
  const headers: Record<string, string> = {
    ...openHeaders(webhook.headers),
    'content-type': rendered.contentType,
    'user-agent': USER_AGENT,
    ...signatureHeaders(
      secrets.map((secret) => keyOf(secret.sealed)),
      delivery.id,
      startedAt,
      body,
    ),
  };
  if (!webhook.signed) {
    // An unsigned webhook still carries a stable id for de-duplication.
    headers['webhook-id'] = delivery.id;
  }
  return { kind: 'send', base, request: { url: webhook.url, headers, body }, format: delivery.format };
}

/** An attempt over before it starts: failed, not retried. */
function settledFailure(base: AttemptBase, error: string): PreparedAttempt {
  const attempt: Attempt = {
    ...base,
    durationMs: 0,
    requestHeaders: {},
    responseStatus: null,
    responseHeaders: null,
    responseBody: null,
    error,
    nextAttemptAt: null,
  };
  return {
    kind: 'settled',
    record: { attempt, verdict: 'failed', nextAttemptAt: null, disableIfFailingSince: 0 },
  };
}

/**
 * What an attempt's answer means: success, gone (410), or a failure that is retried while the
 * delivery has attempts left and the schedule a step. `finishedAt` is when the attempt ended;
 * `random` in [0, 1) spreads the retry by the policy's jitter.
 */
export function settleAttempt(
  prepared: {
    readonly base: AttemptBase;
    readonly request: AttemptRequest;
    readonly format?: PayloadFormat | undefined;
  },
  attemptsLeft: number,
  result: SendResult,
  finishedAt: number,
  policy: AttemptPolicy,
  random: number,
): AttemptRecord {
  const { base, request } = prepared;
  const outcome = classifyStatus(
    result.status,
    parseRetryAfter(result.headers?.['retry-after'], finishedAt),
    prepared.format,
  );
  let verdict: AttemptVerdict;
  let nextAttemptAt: number | null = null;
  if (outcome.kind === 'success') verdict = 'succeeded';
  else if (outcome.kind === 'gone') verdict = 'gone';
  else {
    const schedule = policy.retry.schedule;
    const delay =
      attemptsLeft > 1
        ? nextDelayMs(policy.retry, Math.min(base.number, schedule.length), outcome.retryAfterMs, random)
        : null;
    verdict = delay === null ? 'failed' : 'retry';
    nextAttemptAt = delay === null ? null : finishedAt + delay;
  }
  const attempt: Attempt = {
    ...base,
    durationMs: result.durationMs,
    requestHeaders: redactRequestHeaders(request.headers),
    responseStatus: result.status,
    responseHeaders: result.headers,
    responseBody: result.body,
    error: result.error ?? (verdict === 'succeeded' ? null : `HTTP ${result.status}`),
    nextAttemptAt,
  };
  return { attempt, verdict, nextAttemptAt, disableIfFailingSince: finishedAt - policy.disableAfterMs };
}
