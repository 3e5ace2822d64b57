import type { Logger } from 'pino';
import type { AttemptRecord } from '../store/store.ts';

/**
 * Result batches written at once. A slot stays leased until its result is written, so a result
 * that waits for the batch before it to finish holds its slot for a whole extra round trip;
 * with two, the next batch goes while one is with the database.
 */
const CONCURRENT_WRITES = 2;

/**
 * At low load a finished attempt's result waits up to this long for the loop's next claim (an
 * announced ingest starts one) and is written in that claim's call: one round trip and one
 * statement instead of a claim and a result write of their own. A result goes at once when its
 * webhook or the engine holds half its slots, or when no work was announced lately (a backlog
 * draining: no claim is coming), see #mayWait; so under load nothing waits.
 */
export const RESULT_WAIT_MS = 5;

/** After a failed write, the pause before the results are tried again. */
const RETRY_WRITE_MS = 500;

export interface ResultWriterDeps {
  /**
   * Writes a batch of results (and, in the same round trip, claims for the free slots). Rejects
   * only when the results were not written.
   */
  readonly write: (batch: readonly AttemptRecord[]) => Promise<void>;
  /** Whether the engine has room for a result of this webhook to wait (see RESULT_WAIT_MS). */
  readonly roomToWait: (webhookId: string, queued: number) => boolean;
  readonly logger: Logger;
  readonly now: () => number;
  /** How long a result may wait for the next claim (default RESULT_WAIT_MS). */
  readonly waitMs?: number;
}

/**
 * Batches finished attempts' results to the store: at once under load, after a short wait for
 * the loop's next claim at low load, at most CONCURRENT_WRITES batches at a time, and again
 * after a pause when a write fails (a result is never dropped while the engine runs).
 */
export class ResultWriter {
  readonly #deps: ResultWriterDeps;
  readonly #waitMs: number;
  #results: AttemptRecord[] = [];
  /** Writes the results that waited for a claim in vain (see RESULT_WAIT_MS). */
  #waitTimer: ReturnType<typeof setTimeout> | null = null;
  /** Batches being written, and whether one is about to start. */
  readonly #writes = new Set<Promise<void>>();
  #writePending = false;
  /** When new work was last announced, which is when the loop's claims come. */
  #announcedAt = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(deps: ResultWriterDeps) {
    this.#deps = deps;
    this.#waitMs = deps.waitMs ?? RESULT_WAIT_MS;
  }

  /** New work was announced: a claim is coming that results may ride along with. */
  announced(): void {
    this.#announcedAt = this.#deps.now();
  }

  queue(record: AttemptRecord): void {
    this.#results.push(record);
    if (!this.#mayWait(record.attempt.webhookId)) this.#scheduleWrite(0);
    else
      this.#waitTimer ??= setTimeout(() => {
        this.#waitTimer = null;
        this.#scheduleWrite(0);
      }, this.#waitMs);
  }

  /** The results not yet being written, for a claim to carry; stops the wait for them. */
  take(): AttemptRecord[] {
    const batch = this.#results;
    this.#results = [];
    if (this.#waitTimer) {
      clearTimeout(this.#waitTimer);
      this.#waitTimer = null;
    }
    return batch;
  }

  /** Results that were taken and not written: they go first, after a pause. */
  giveBack(batch: readonly AttemptRecord[]): void {
    this.#results = [...batch, ...this.#results];
    this.#scheduleWrite(RETRY_WRITE_MS);
  }

  /** Stops scheduling writes, waits for those under way, then writes what is left once. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#waitTimer) clearTimeout(this.#waitTimer);
    await Promise.all(this.#writes);
    await this.#writeQueued();
  }

  /**
   * Whether results may wait for the loop's next claim: while work was announced within the last
   * two waits (so a claim is likely to come), and the webhook and the engine each hold (in flight
   * or unwritten) under half their slots. A slot is freed only when its result is written, so
   * under load, or with one busy webhook, results go at once.
   */
  #mayWait(webhookId: string): boolean {
    if (this.#deps.now() - this.#announcedAt > 2 * this.#waitMs) return false;
    return this.#deps.roomToWait(webhookId, this.#results.length);
  }

  #scheduleWrite(delayMs: number): void {
    if (this.#writePending || this.#writes.size >= CONCURRENT_WRITES) return;
    this.#writePending = true;
    const wait =
      delayMs === 0
        ? new Promise<void>((resolve) => setImmediate(resolve))
        : new Promise<void>((resolve) => setTimeout(resolve, delayMs).unref());
    const write: Promise<void> = wait
      .then(() => {
        this.#writePending = false;
        return this.#writeQueued();
      })
      .then((retryInMs) => {
        this.#writes.delete(write);
        if (this.#results.length > 0 && !this.#closed) this.#scheduleWrite(retryInMs);
      });
    this.#writes.add(write);
  }

  /** Writes the queued results; on a database error keeps them and returns the pause before retrying. */
  async #writeQueued(): Promise<number> {
    const batch = this.take();
    if (batch.length === 0) return 0;
    try {
      await this.#deps.write(batch);
      return 0;
    } catch (error) {
      this.#deps.logger.error({ err: error, count: batch.length }, 'recording attempts failed; retrying');
      this.#results = [...batch, ...this.#results];
      return RETRY_WRITE_MS;
    }
  }
}
