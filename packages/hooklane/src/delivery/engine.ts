import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { ID_PREFIX, newId } from '../core/ids.ts';
import type { RetryPolicy } from '../core/retry-policy.ts';
import type { SecretBox } from '../core/secrets.ts';
import { signingKey } from '../core/signatures.ts';
import { openHeaderValues } from '../core/static-headers.ts';
import type { Metrics } from '../metrics.ts';
import type { AttemptRecord, ClaimedDelivery, ClaimRequest, Store } from '../store/store.ts';
import { prepareAttempt, settleAttempt } from './attempt.ts';
import { ClaimLoop } from './claim-loop.ts';
import { ResultWriter } from './result-writer.ts';
import type { Sender } from './sender.ts';
import { Slots } from './slots.ts';

export interface EngineOptions {
  readonly claimBatchSize: number;
  readonly leaseMs: number;
  readonly maxInFlight: number;
  readonly maxInFlightPerWebhook: number;
  /**
   * Deliveries per webhook claimed beyond its in-flight cap (at most as many again), waiting in
   * memory to go the moment a request ends, instead of one store round trip later (0: none). Only
   * for a store with one owner process: its leases are this process's alone, so what goes out
   * still never exceeds the cap.
   */
  readonly claimAhead?: number;
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

/**
 * The delivery engine: claims due deliveries in batches (the store's claim keeps each
 * webhook within `maxInFlightPerWebhook`, so one slow endpoint never holds the others'
 * slots), sends them concurrently, and writes finished attempts back in batches.
 *
 * This file wires the parts: `ClaimLoop` decides when to claim, `Slots` how many, each claimed
 * delivery is one attempt (`prepareAttempt`, the sender, `settleAttempt`), and `ResultWriter`
 * batches the results. Every store call that writes results also claims for the slots they
 * free, in the same round trip (`#exchange`).
 */
export class DeliveryEngine {
  readonly #options: EngineOptions;
  readonly #deps: EngineDeps;
  readonly #abort = new AbortController();
  readonly #keyCache = new Map<string, KeyObject>();
  readonly #slots: Slots;
  readonly #writer: ResultWriter;
  readonly #loop: ClaimLoop;

  constructor(options: EngineOptions, deps: EngineDeps) {
    this.#options = options;
    this.#deps = deps;
    this.#slots = new Slots(options);
    this.#writer = new ResultWriter({
      write: (batch) => this.#writeResults(batch),
      roomToWait: (webhookId, queued) => !this.#loop.stopping && this.#slots.underHalf(webhookId, queued),
      logger: deps.logger,
      now: deps.now,
      ...(options.resultWaitMs === undefined ? {} : { waitMs: options.resultWaitMs }),
    });
    this.#loop = new ClaimLoop({
      claim: () => this.#claimForLoop(),
      nextDueAt: (now) => deps.store.nextDueAt(now),
      pollIntervalMs: options.pollIntervalMs,
      logger: deps.logger,
      now: deps.now,
    });
  }

  start(): void {
    this.#loop.start();
  }

  /** New work may be due: claim now instead of at the next poll. */
  notify(): void {
    this.#writer.announced();
    this.#loop.wake();
  }

  /**
   * Stops claiming, lets in-flight requests finish for up to `graceMs`, then aborts the
   * rest and gives their claims back unrecorded (they are sent again: at-least-once), and
   * closes the sender's connections.
   */
  async stop(graceMs: number): Promise<void> {
    await this.#loop.stop();
    const timer = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([this.#slots.drained(), timer]);
    this.#abort.abort();
    await this.#writer.close();
    await this.#deps.store.releaseClaims(this.#slots.unwritten());
    await this.#deps.sender.close();
  }

  /**
   * A claim for the free slots, reserved until `#exchange` has started what it claimed; null
   * when none is free or the engine is stopping.
   */
  #claimRequest(): ClaimRequest | null {
    if (this.#loop.stopping) return null;
    const limit = this.#slots.reserve(this.#options.claimBatchSize);
    if (limit === 0) return null;
    const { leaseMs, maxInFlightPerWebhook, claimAhead = 0 } = this.#options;
    // At most the cap ahead: a hanging webhook then holds no more of the process's waiting budget
    // than of its in-flight one (Slots.reserve), so it cannot starve the others through either.
    const ahead = Math.min(claimAhead, maxInFlightPerWebhook);
    return { now: this.#deps.now(), limit, leaseMs, perWebhookCap: maxInFlightPerWebhook + ahead };
  }

  /** The loop's claim: the results that waited for it are written in its call. */
  async #claimForLoop(): Promise<boolean | null> {
    const request = this.#claimRequest();
    if (!request) return null;
    const waiting = this.#writer.take();
    try {
      const claimed = await this.#exchange(waiting, request);
      return claimed.length === request.limit;
    } catch (error) {
      if (waiting.length > 0) this.#writer.giveBack(waiting);
      throw error;
    }
  }

  /**
   * Writes finished attempts in one transaction and, in the same round trip, claims for the
   * free slots: writing a result ends its lease, which frees the webhook's slot, so that is
   * when claiming is worthwhile, and a slot waits for one round trip instead of two.
   */
  async #writeResults(batch: readonly AttemptRecord[]): Promise<void> {
    const request = this.#abort.signal.aborted ? null : this.#claimRequest();
    const claimed = await this.#exchange(batch, request);
    // More may be due than this claim could take; the loop claims the rest (or sleeps till due).
    if (!request || claimed.length === request.limit) this.#loop.wake();
  }

  /**
   * Writes `results` and claims with `request` in one store call, then ends the written claims
   * and starts the new ones. Rejects, with nothing written, when the store call did.
   */
  async #exchange(
    results: readonly AttemptRecord[],
    request: ClaimRequest | null,
  ): Promise<ClaimedDelivery[]> {
    const { store } = this.#deps;
    let claimed: ClaimedDelivery[];
    try {
      if (results.length > 0) claimed = await store.recordAttempts(results, request ?? undefined);
      else claimed = request ? await store.claimDue(request) : [];
    } finally {
      if (request) this.#slots.unreserve(request.limit);
    }
    for (const { attempt, nextAttemptAt } of results) {
      this.#slots.written(attempt.deliveryId, attempt.webhookId);
      if (nextAttemptAt !== null) this.#loop.scheduled(nextAttemptAt);
    }
    for (const item of claimed) this.#start(item);
    return claimed;
  }

  #start(claimed: ClaimedDelivery): void {
    if (this.#slots.admit(claimed)) this.#send(claimed);
  }

  /** Sends a delivery whose request `Slots` counts in flight, then the next that waited for its slot. */
  #send(claimed: ClaimedDelivery): void {
    const webhookId = claimed.webhook.id;
    this.#attempt(claimed)
      .then((record) => {
        if (record) this.#writer.queue(record);
        else this.#slots.dropped(webhookId);
      })
      .catch((error: unknown) => {
        this.#slots.dropped(webhookId);
        this.#deps.logger.error({ err: error, delivery_id: claimed.delivery.id }, 'attempt crashed');
      })
      .finally(() => {
        const next = this.#slots.finished(webhookId, this.#loop.stopping);
        if (next) this.#send(next);
      });
  }

  /** Sends one attempt and decides what follows; null when shutdown interrupted it. */
  async #attempt(claimed: ClaimedDelivery): Promise<AttemptRecord | null> {
    const { sender, now, random, metrics, logger } = this.#deps;
    const startedAt = now();
    const prepared = prepareAttempt(
      claimed,
      newId(ID_PREFIX.attempt, startedAt),
      startedAt,
      (sealed) => this.#keyOf(sealed),
      (stored) => openHeaderValues(stored, this.#deps.secretBox),
      (sealed) => this.#deps.secretBox.open(sealed),
    );
    // What operational events need (core/operational-events.ts): the event, and a recovery hint.
    const context = {
      eventId: claimed.delivery.eventId,
      webhookFailing: claimed.webhook.failingSince !== null,
    };
    if (prepared.kind === 'settled') return { ...prepared.record, ...context };
    const { url, headers, body } = prepared.request;
    const result = await sender.send(url, headers, body, this.#abort.signal);
    if (this.#abort.signal.aborted) return null;

    // When the attempt ended, read now: the request's duration starts after the payload and its
    // signatures are built, so startedAt + duration can fall short of the end, and a retry
    // counted from it came early (186 ms after a 200 ms step, once, on a loaded CI machine).
    const finishedAt = Math.max(now(), startedAt + result.durationMs);
    const record = {
      ...settleAttempt(prepared, claimed.delivery.attemptsLeft, result, finishedAt, this.#options, random()),
      ...context,
    };
    const { attempt, verdict, nextAttemptAt } = record;
    metrics.deliveryOutcomes.inc({ outcome: verdict });
    metrics.attemptDuration.observe({ outcome: verdict }, result.durationMs / 1000);
    const log = {
      account_id: attempt.accountId,
      webhook_id: attempt.webhookId,
      delivery_id: attempt.deliveryId,
      attempt: attempt.number,
      status: result.status,
      duration_ms: result.durationMs,
    };
    if (verdict === 'succeeded') logger.debug(log, 'delivered');
    else
      logger.info(
        { ...log, error: attempt.error, verdict, next_attempt_at: nextAttemptAt },
        'delivery attempt failed',
      );
    return record;
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
}
