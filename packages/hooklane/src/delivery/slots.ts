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
 */
export class Slots {
  readonly #limits: SlotLimits;
  #inFlight = 0;
  #reserved = 0;
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
   * The caller gives them back with `unreserve` once what it claimed is `started`.
   */
  reserve(batchSize: number): number {
    const limit = Math.min(batchSize, this.#limits.maxInFlight - this.#inFlight - this.#reserved);
    if (limit <= 0) return 0;
    this.#reserved += limit;
    return limit;
  }

  unreserve(count: number): void {
    this.#reserved -= count;
  }

  /** A claimed delivery's attempt starts. */
  started({ delivery, webhook }: ClaimedDelivery): void {
    this.#inFlight++;
    this.#claimed.add(delivery.id);
    this.#hold(webhook.id, 1);
  }

  /** An attempt ended without a result to write: its slot is free, its claim stays to give back. */
  dropped(webhookId: string): void {
    this.#hold(webhookId, -1);
  }

  /** An attempt's request is over (its result may still wait to be written). */
  finished(): void {
    this.#inFlight--;
    if (this.#inFlight === 0) this.#idle?.();
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

  #hold(webhookId: string, change: number): void {
    const held = (this.#held.get(webhookId) ?? 0) + change;
    if (held > 0) this.#held.set(webhookId, held);
    else this.#held.delete(webhookId);
  }
}
