import type { ClaimedDelivery } from '../store/store.ts';

export interface SlotLimits {
  readonly maxInFlight: number;
  readonly maxInFlightPerWebhook: number;
}

/**
 * The engine's slots: requests in flight in this process, slots promised to claims still
 * running, and per webhook the deliveries claimed and not yet written back. A delivery's slot
 * is taken from its claim until its result is written (that ends its lease in the store), or
 * until its attempt ends without a result (shutdown, a crash), when its claim is given back
 * at stop instead.
 *
 * A claimed delivery is sent at once while its webhook has fewer than `maxInFlightPerWebhook`
 * requests in flight; else it waits here, in claim order, for one of them to end (`finished`
 * hands it over). Only a store that claims ahead (see DeliveryEngine) hands over more than that.
 */
export class Slots {
  readonly #limits: SlotLimits;
  #inFlight = 0;
  #reserved = 0;
  /** Requests in flight per webhook. */
  readonly #sending = new Map<string, number>();
  /** Claimed deliveries waiting for a slot of their webhook, and how many in all. */
  readonly #waiting = new Map<string, ClaimedDelivery[]>();
  #waitingCount = 0;
  /** Deliveries claimed and not yet written back, per webhook. */
  readonly #held = new Map<string, number>();
  /** Deliveries claimed and not yet written back: what stop gives back to the store. */
  readonly #claimed = new Set<string>();
  #idle: (() => void) | null = null;

  constructor(limits: SlotLimits) {
    this.#limits = limits;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Reserves up to `batchSize` free slots for a claim and returns how many (0: none free).
   * The caller gives them back with `unreserve` once what it claimed is `admit`ted.
   */
  reserve(batchSize: number): number {
    // What waits for its webhook's slot has a budget of its own, as large as the in-flight one:
    // a webhook whose requests hang holds its waiting deliveries (at most its cap, see
    // DeliveryEngine) without taking the slots the other webhooks send with.
    const { maxInFlight } = this.#limits;
    const room = Math.min(maxInFlight - this.#inFlight, maxInFlight - this.#waitingCount);
    const limit = Math.min(batchSize, room - this.#reserved);
    if (limit <= 0) return 0;
    this.#reserved += limit;
    return limit;
  }

  unreserve(count: number): void {
    this.#reserved -= count;
  }

  /**
   * A delivery was claimed: true when it may be sent now (its request is counted in flight),
   * false when it waits for a slot of its webhook.
   */
  admit(claimed: ClaimedDelivery): boolean {
    const webhookId = claimed.webhook.id;
    this.#claimed.add(claimed.delivery.id);
    this.#hold(webhookId, 1);
    if ((this.#sending.get(webhookId) ?? 0) < this.#limits.maxInFlightPerWebhook) {
      this.#send(webhookId);
      return true;
    }
    const queue = this.#waiting.get(webhookId);
    if (queue) queue.push(claimed);
    else this.#waiting.set(webhookId, [claimed]);
    this.#waitingCount++;
    return false;
  }

  /** An attempt ended without a result to write: its slot is free, its claim stays to give back. */
  dropped(webhookId: string): void {
    this.#hold(webhookId, -1);
  }

  /**
   * An attempt's request is over (its result may still wait to be written). Returns the delivery
   * of the same webhook that waited longest for the slot, now counted in flight, for the caller to
   * send, unless `keepWaiting` (shutdown: what waits is given back unsent).
   */
  finished(webhookId: string, keepWaiting = false): ClaimedDelivery | undefined {
    this.#inFlight--;
    const sending = (this.#sending.get(webhookId) ?? 1) - 1;
    if (sending > 0) this.#sending.set(webhookId, sending);
    else this.#sending.delete(webhookId);
    const queue = keepWaiting ? undefined : this.#waiting.get(webhookId);
    const next = queue?.shift();
    if (next) {
      if (queue?.length === 0) this.#waiting.delete(webhookId);
      this.#waitingCount--;
      this.#send(webhookId);
      return next;
    }
    if (this.#inFlight === 0) this.#idle?.();
    return undefined;
  }

  /** An attempt's result was written: its claim ended and its slot is free. */
  written(deliveryId: string, webhookId: string): void {
    this.#claimed.delete(deliveryId);
    this.#hold(webhookId, -1);
  }

  /**
   * Whether the webhook and the process each hold under half their slots, counting `queued`
   * results not yet written as held by the process.
   */
  underHalf(webhookId: string, queued: number): boolean {
    const { maxInFlight, maxInFlightPerWebhook } = this.#limits;
    const heldByWebhook = this.#held.get(webhookId) ?? 0;
    return heldByWebhook * 2 < maxInFlightPerWebhook && (this.#inFlight + queued) * 2 < maxInFlight;
  }

  /** The deliveries claimed and not written back. */
  unwritten(): string[] {
    return [...this.#claimed];
  }

  /** Resolves when no request is in flight. */
  drained(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idle = resolve;
    });
  }

  #send(webhookId: string): void {
    this.#inFlight++;
    this.#sending.set(webhookId, (this.#sending.get(webhookId) ?? 0) + 1);
  }

  #hold(webhookId: string, change: number): void {
    const held = (this.#held.get(webhookId) ?? 0) + change;
    if (held > 0) this.#held.set(webhookId, held);
    else this.#held.delete(webhookId);
  }
}
