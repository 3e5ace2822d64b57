import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { redactRequestHeaders } from '../core/header-masking.ts';
import { ID_PREFIX, newId } from '../core/ids.ts';
import type { Attempt } from '../core/model.ts';
import { buildPayload } from '../core/payload-formats.ts';
import { classifyStatus, nextDelayMs, parseRetryAfter, type RetryPolicy } from '../core/retry-policy.ts';
import type { SecretBox } from '../core/secrets.ts';
import { signatureHeaders, signingKey } from '../core/signatures.ts';
import { openHeaderValues } from '../core/static-headers.ts';
import type { Metrics } from '../metrics.ts';
import type { AttemptRecord, AttemptVerdict, ClaimedDelivery, ClaimRequest, Store } from '../store/store.ts';
import type { Sender } from './sender.ts';

export interface EngineOptions {
  readonly claimBatchSize: number;
  readonly leaseMs: number;
  readonly maxInFlight: number;
  readonly maxInFlightPerWebhook: number;
  readonly pollIntervalMs: number;
  readonly disableAfterMs: number;
  readonly retry: RetryPolicy;
  /** How long a result may wait for the next claim at low load (default RESULT_WAIT_MS). */
  readonly resultWaitMs?: number;
}

export interface EngineDeps {
  readonly store: Store;
  readonly sender: Sender;
  readonly secretBox: SecretBox;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly now: () => number;
  readonly random: () => number;
}

const USER_AGENT = 'Hooklane/0.1 (+https://github.com/hooklane/hooklane)';

/**
 * Result batches written at once. A slot stays leased until its result is written, so a result
 * that waits for the batch before it to finish holds its slot for a whole extra round trip;
 * with two, the next batch goes while one is with the database.
 */
const CONCURRENT_FLUSHES = 2;

/**
 * At low load a finished attempt's result waits up to this long for the loop's next claim (an
 * announced ingest starts one) and is written in that claim's call: one round trip and one
 * statement instead of a claim and a result write of their own. A result goes at once when its
 * webhook or the engine holds half its slots, or when no work was announced lately (a backlog
 * draining: no claim is coming), see #mayWait; so under load nothing waits.
 */
const RESULT_WAIT_MS = 5;

/**
 * The delivery engine: claims due deliveries in batches (the store's claim keeps each
 * webhook within `maxInFlightPerWebhook`, so one slow endpoint never holds the others'
 * slots), sends them concurrently, and writes finished attempts back in batches.
 */
export class DeliveryEngine {
  readonly #options: EngineOptions;
  readonly #deps: EngineDeps;
  readonly #claimed = new Set<string>();
  readonly #abort = new AbortController();
  readonly #keyCache = new Map<string, KeyObject>();
  #inFlightTotal = 0;
  /** Slots promised to claims still running (the loop's and the result writes'). */
  #reserved = 0;
  #results: AttemptRecord[] = [];
  /** Deliveries claimed and not yet written back, per webhook (their slots are still taken). */
  readonly #held = new Map<string, number>();
  /** Writes the results that waited for a claim in vain (see RESULT_WAIT_MS). */
  #waitTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #resultWaitMs: number;
  /** Result batches being written (at most CONCURRENT_FLUSHES), and whether one is about to start. */
  readonly #flushes = new Set<Promise<void>>();
  #flushPending = false;
  #loop: Promise<void> | null = null;
  #wakeRequested = false;
  #wake: (() => void) | null = null;
  #wakeBy: ((at: number) => void) | null = null;
  /** The earliest due attempt the loop knows of (see #idleDelay), and when it last asked the store. */
  #nextDue: number | null = null;
  #dueAskedAt = Number.NEGATIVE_INFINITY;
  #stopping = false;
  #idle: (() => void) | null = null;
  /** When new work was last announced (notify), which is when the loop's claims come. */
  #announcedAt = Number.NEGATIVE_INFINITY;

  constructor(options: EngineOptions, deps: EngineDeps) {
    this.#options = options;
    this.#deps = deps;
    this.#resultWaitMs = options.resultWaitMs ?? RESULT_WAIT_MS;
  }

  start(): void {
    this.#loop ??= this.#run().catch((error: unknown) => {
      this.#deps.logger.fatal({ err: error }, 'delivery loop stopped');
    });
  }

  /** New work may be due: claim now instead of at the next poll. */
  notify(): void {
    this.#announcedAt = this.#deps.now();
    this.#wakeLoop();
  }

  #wakeLoop(): void {
    this.#wakeRequested = true;
    this.#wake?.();
  }

  /**
   * Stops claiming, lets in-flight requests finish for up to `graceMs`, then aborts the
   * rest and gives their claims back unrecorded (they are sent again: at-least-once), and
   * closes the sender's connections.
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    this.#wakeLoop();
    await this.#loop;
    if (this.#inFlightTotal > 0) {
      const drained = new Promise<void>((resolve) => {
        this.#idle = resolve;
      });
      const timer = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([drained, timer]);
    }
    this.#abort.abort();
    if (this.#waitTimer) clearTimeout(this.#waitTimer);
    await Promise.all(this.#flushes);
    await this.#flushResults();
    await this.#deps.store.releaseClaims([...this.#claimed]);
    await this.#deps.sender.close();
  }

  async #run(): Promise<void> {
    const { store, logger } = this.#deps;
    const { pollIntervalMs } = this.#options;
    let sleepRanOut = true;
    while (!this.#stopping) {
      this.#wakeRequested = false;
      const request = this.#claimRequest();
      let claimedAll = false;
      if (request) {
        // Results that waited for this claim are written in its call.
        const waiting = this.#takeResults();
        try {
          const claimed =
            waiting.length > 0 ? await store.recordAttempts(waiting, request) : await store.claimDue(request);
          this.#written(waiting);
          for (const item of claimed) this.#attempt(item);
          claimedAll = claimed.length === request.limit;
        } catch (error) {
          logger.error({ err: error }, 'claiming deliveries failed; retrying');
          if (waiting.length > 0) {
            this.#results = [...waiting, ...this.#results];
            this.#scheduleFlush(500);
          }
          await this.#sleep(Math.min(pollIntervalMs, 1000));
          continue;
        } finally {
          this.#reserved -= request.limit;
        }
      }
      if (claimedAll || this.#wakeRequested || this.#stopping) continue;
      sleepRanOut = await this.#sleep(await this.#idleDelay(sleepRanOut));
    }
  }

  /**
   * How long the loop may sleep before claiming again: until the next attempt it knows to be
   * due, at most the poll interval. Due work it could not claim waits for a free slot (which
   * wakes the loop) or the poll. It asks the store only when its sleep ran out (at a due time
   * or the poll) or the last answer is a poll interval old: between asks, the retries this
   * engine scheduled itself keep the answer current, and another process's retry is claimed
   * at the latest one poll interval after it is due. Asking after every wake-up had cost a
   * round trip per announced ingest.
   */
  async #idleDelay(sleepRanOut: boolean): Promise<number> {
    const { pollIntervalMs } = this.#options;
    const now = this.#deps.now();
    if (sleepRanOut || now - this.#dueAskedAt >= pollIntervalMs) {
      this.#dueAskedAt = now;
      // A retry scheduled while the store answers is kept (#scheduled sets it meanwhile).
      this.#nextDue = null;
      let answer: number | null = null;
      try {
        answer = await this.#deps.store.nextDueAt(now);
      } catch {
        // The next claim reports the failure.
      }
      const meanwhile = this.#nextDue;
      this.#nextDue = meanwhile === null || (answer !== null && answer < meanwhile) ? answer : meanwhile;
    }
    const due = this.#nextDue;
    const after = this.#deps.now();
    return due !== null && due > after ? Math.min(pollIntervalMs, due - after) : pollIntervalMs;
  }

  /** A retry this engine scheduled: the loop wakes for it if it is due before what it knew. */
  #scheduled(at: number): void {
    const known = this.#nextDue;
    if (known === null || known <= this.#deps.now() || at < known) this.#nextDue = at;
    this.#wakeBy?.(at);
  }

  /**
   * A claim for the free slots, reserved until the caller gives them back (`#reserved -=
   * limit`) once the claimed deliveries are counted in flight; null when none is free.
   */
  #claimRequest(): ClaimRequest | null {
    const { claimBatchSize, maxInFlight, maxInFlightPerWebhook, leaseMs } = this.#options;
    const limit = Math.min(claimBatchSize, maxInFlight - this.#inFlightTotal - this.#reserved);
    if (limit <= 0 || this.#stopping) return null;
    this.#reserved += limit;
    return { now: this.#deps.now(), limit, leaseMs, perWebhookCap: maxInFlightPerWebhook };
  }

  /**
   * Sleeps for `ms` or until notified; true when the time ran out. `#wakeBy` can bring the
   * end of the sleep forward.
   */
  #sleep(ms: number): Promise<boolean> {
    if (this.#wakeRequested) return Promise.resolve(false);
    return new Promise((resolve) => {
      let timer = setTimeout(() => done(true), ms);
      let until = this.#deps.now() + ms;
      const done = (ranOut: boolean) => {
        clearTimeout(timer);
        this.#wake = null;
        this.#wakeBy = null;
        resolve(ranOut);
      };
      this.#wake = () => done(false);
      this.#wakeBy = (at) => {
        if (at >= until) return;
        clearTimeout(timer);
        until = at;
        timer = setTimeout(() => done(true), Math.max(0, at - this.#deps.now()));
      };
    });
  }

  #attempt(claimed: ClaimedDelivery): void {
    const webhookId = claimed.webhook.id;
    this.#inFlightTotal++;
    this.#claimed.add(claimed.delivery.id);
    this.#hold(webhookId, 1);
    this.#send(claimed)
      .then((record) => {
        if (record) this.#queueResult(record);
        else this.#hold(webhookId, -1);
      })
      .catch((error: unknown) => {
        this.#hold(webhookId, -1);
        this.#deps.logger.error({ err: error, delivery_id: claimed.delivery.id }, 'attempt crashed');
      })
      .finally(() => {
        this.#inFlightTotal--;
        if (this.#inFlightTotal === 0) this.#idle?.();
      });
  }

  #keyOf(sealed: string): KeyObject {
    let key = this.#keyCache.get(sealed);
    if (!key) {
      key = signingKey(this.#deps.secretBox.open(sealed));
      if (this.#keyCache.size > 10_000) this.#keyCache.clear();
      this.#keyCache.set(sealed, key);
    }
    return key;
  }

  /** Sends one attempt and decides what follows; null when shutdown interrupted it. */
  async #send({ delivery, webhook, secrets, events }: ClaimedDelivery): Promise<AttemptRecord | null> {
    const { sender, now, random, metrics, logger } = this.#deps;
    const number = delivery.attemptCount + 1;
    const startedAt = now();
    const base = {
      id: newId(ID_PREFIX.attempt, startedAt),
      deliveryId: delivery.id,
      accountId: delivery.accountId,
      webhookId: webhook.id,
      number,
      startedAt,
      url: webhook.url,
    };
    if (events.length === 0) {
      const attempt: Attempt = {
        ...base,
        durationMs: 0,
        requestHeaders: {},
        responseStatus: null,
        responseHeaders: null,
        responseBody: null,
        error: 'the event is no longer stored',
        nextAttemptAt: null,
      };
      return { attempt, verdict: 'failed', nextAttemptAt: null, disableIfFailingSince: 0 };
    }
    const body = buildPayload(delivery.format, delivery.webhookName, events);
    const headers: Record<string, string> = {
      ...openHeaderValues(webhook.headers, this.#deps.secretBox),
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      ...signatureHeaders(
        secrets.map((secret) => this.#keyOf(secret.sealed)),
        delivery.id,
        startedAt,
        body,
      ),
    };
    if (!webhook.signed) {
      // An unsigned webhook still carries a stable id for de-duplication.
      headers['webhook-id'] = delivery.id;
    }
    const result = await sender.send(webhook.url, headers, body, this.#abort.signal);
    if (this.#abort.signal.aborted) return null;

    // When the attempt ended, read now: the request's duration starts after the payload and its
    // signatures are built, so startedAt + duration can fall short of the end, and a retry
    // counted from it came early (186 ms after a 200 ms step, once, on a loaded CI machine).
    const finishedAt = Math.max(now(), startedAt + result.durationMs);
    const outcome = classifyStatus(
      result.status,
      parseRetryAfter(result.headers?.['retry-after'], finishedAt),
    );
    let verdict: AttemptVerdict;
    let nextAttemptAt: number | null = null;
    if (outcome.kind === 'success') verdict = 'succeeded';
    else if (outcome.kind === 'gone') verdict = 'gone';
    else {
      const schedule = this.#options.retry.schedule;
      const delay =
        delivery.attemptsLeft > 1
          ? nextDelayMs(
              this.#options.retry,
              Math.min(number, schedule.length),
              outcome.retryAfterMs,
              random(),
            )
          : null;
      verdict = delay === null ? 'failed' : 'retry';
      nextAttemptAt = delay === null ? null : finishedAt + delay;
    }
    const attempt: Attempt = {
      ...base,
      durationMs: result.durationMs,
      requestHeaders: redactRequestHeaders(headers),
      responseStatus: result.status,
      responseHeaders: result.headers,
      responseBody: result.body,
      error: result.error ?? (verdict === 'succeeded' ? null : `HTTP ${result.status}`),
      nextAttemptAt,
    };
    metrics.deliveryOutcomes.inc({ outcome: verdict });
    metrics.attemptDuration.observe({ outcome: verdict }, result.durationMs / 1000);
    const log = {
      account_id: delivery.accountId,
      webhook_id: webhook.id,
      delivery_id: delivery.id,
      attempt: number,
      status: result.status,
      duration_ms: result.durationMs,
    };
    if (verdict === 'succeeded') logger.debug(log, 'delivered');
    else
      logger.info(
        { ...log, error: attempt.error, verdict, next_attempt_at: nextAttemptAt },
        'delivery attempt failed',
      );
    return {
      attempt,
      verdict,
      nextAttemptAt,
      disableIfFailingSince: finishedAt - this.#options.disableAfterMs,
    };
  }

  #hold(webhookId: string, change: number): void {
    const held = (this.#held.get(webhookId) ?? 0) + change;
    if (held > 0) this.#held.set(webhookId, held);
    else this.#held.delete(webhookId);
  }

  #queueResult(record: AttemptRecord): void {
    this.#results.push(record);
    if (!this.#mayWait(record.attempt.webhookId)) this.#scheduleFlush(0);
    else
      this.#waitTimer ??= setTimeout(() => {
        this.#waitTimer = null;
        this.#scheduleFlush(0);
      }, this.#resultWaitMs);
  }

  /**
   * Whether results may wait for the loop's next claim: while work was announced within the last
   * two waits (so a claim is likely to come), and the webhook and the engine each hold (in flight
   * or unwritten) under half their slots. A slot is freed only when its result is written, so
   * under load, or with one busy webhook, results go at once.
   */
  #mayWait(webhookId: string): boolean {
    const { maxInFlight, maxInFlightPerWebhook } = this.#options;
    if (this.#stopping) return false;
    if (this.#deps.now() - this.#announcedAt > 2 * this.#resultWaitMs) return false;
    const heldByWebhook = this.#held.get(webhookId) ?? 0;
    return (
      heldByWebhook * 2 < maxInFlightPerWebhook &&
      (this.#inFlightTotal + this.#results.length) * 2 < maxInFlight
    );
  }

  /** The results not yet being written; stops the wait for them. */
  #takeResults(): AttemptRecord[] {
    const batch = this.#results;
    this.#results = [];
    if (this.#waitTimer) {
      clearTimeout(this.#waitTimer);
      this.#waitTimer = null;
    }
    return batch;
  }

  /** After a batch of results is written: their claims end and their retries are known. */
  #written(batch: readonly AttemptRecord[]): void {
    for (const record of batch) {
      this.#claimed.delete(record.attempt.deliveryId);
      this.#hold(record.attempt.webhookId, -1);
      if (record.nextAttemptAt !== null) this.#scheduled(record.nextAttemptAt);
    }
  }

  #scheduleFlush(delayMs: number): void {
    if (this.#flushPending || this.#flushes.size >= CONCURRENT_FLUSHES) return;
    this.#flushPending = true;
    const wait =
      delayMs === 0
        ? new Promise<void>((resolve) => setImmediate(resolve))
        : new Promise<void>((resolve) => setTimeout(resolve, delayMs).unref());
    const flush: Promise<void> = wait
      .then(() => {
        this.#flushPending = false;
        return this.#flushResults();
      })
      .then((retryInMs) => {
        this.#flushes.delete(flush);
        if (this.#results.length > 0 && !this.#abort.signal.aborted) this.#scheduleFlush(retryInMs);
      });
    this.#flushes.add(flush);
  }

  /**
   * Writes finished attempts in one transaction and, in the same round trip, claims for the
   * free slots: writing a result ends its lease, which frees the webhook's slot, so that is
   * when claiming is worthwhile, and a slot waits for one round trip instead of two. On a
   * database error keeps the results and says to try again after a pause (the returned delay).
   */
  async #flushResults(): Promise<number> {
    const batch = this.#takeResults();
    if (batch.length === 0) return 0;
    const request = this.#abort.signal.aborted ? null : this.#claimRequest();
    let claimed: ClaimedDelivery[];
    try {
      claimed = await this.#deps.store.recordAttempts(batch, request ?? undefined);
    } catch (error) {
      this.#deps.logger.error({ err: error, count: batch.length }, 'recording attempts failed; retrying');
      this.#results = [...batch, ...this.#results];
      return 500;
    } finally {
      if (request) this.#reserved -= request.limit;
    }
    this.#written(batch);
    for (const item of claimed) this.#attempt(item);
    // More may be due than this claim could take; the loop claims the rest (or sleeps till due).
    if (!request || claimed.length === request.limit) this.#wakeLoop();
    return 0;
  }
}
