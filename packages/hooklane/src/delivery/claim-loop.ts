import type { Logger } from 'pino';

export interface ClaimLoopDeps {
  /**
   * Claims due deliveries for the free slots and starts them: null when no slot is free, else
   * whether the claim took all it asked for (then more may be due). Rejects when the store did.
   */
  readonly claim: () => Promise<boolean | null>;
  /** When the next pending delivery becomes due, or null when none is pending. */
  readonly nextDueAt: (now: number) => Promise<number | null>;
  readonly pollIntervalMs: number;
  readonly logger: Logger;
  readonly now: () => number;
}

/**
 * The loop that claims: at once when woken (new work announced, a slot freed with more due),
 * when a retry it knows of is due, and at the latest every poll interval.
 */
export class ClaimLoop {
  readonly #deps: ClaimLoopDeps;
  #loop: Promise<void> | null = null;
  #stopping = false;
  #wakeRequested = false;
  #wake: (() => void) | null = null;
  #wakeBy: ((at: number) => void) | null = null;
  /** The earliest due attempt the loop knows of (see #idleDelay), and when it last asked the store. */
  #nextDue: number | null = null;
  #dueAskedAt = Number.NEGATIVE_INFINITY;

  constructor(deps: ClaimLoopDeps) {
    this.#deps = deps;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  start(): void {
    this.#loop ??= this.#run().catch((error: unknown) => {
      this.#deps.logger.fatal({ err: error }, 'delivery loop stopped');
    });
  }

  /** Claim now instead of at the next poll. */
  wake(): void {
    this.#wakeRequested = true;
    this.#wake?.();
  }

  /** A retry this engine scheduled: the loop wakes for it if it is due before what it knew. */
  scheduled(at: number): void {
    const known = this.#nextDue;
    if (known === null || known <= this.#deps.now() || at < known) this.#nextDue = at;
    this.#wakeBy?.(at);
  }

  /** Stops claiming; resolves once the claim under way, if any, is over. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { claim, logger, pollIntervalMs } = this.#deps;
    let sleepRanOut = true;
    while (!this.#stopping) {
      this.#wakeRequested = false;
      let claimedAll = false;
      try {
        claimedAll = (await claim()) === true;
      } catch (error) {
        logger.error({ err: error }, 'claiming deliveries failed; retrying');
        await this.#sleep(Math.min(pollIntervalMs, 1000));
        continue;
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
    const { pollIntervalMs } = this.#deps;
    const now = this.#deps.now();
    if (sleepRanOut || now - this.#dueAskedAt >= pollIntervalMs) {
      this.#dueAskedAt = now;
      // A retry scheduled while the store answers is kept (`scheduled` sets it meanwhile).
      this.#nextDue = null;
      let answer: number | null = null;
      try {
        answer = await this.#deps.nextDueAt(now);
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

  /**
   * Sleeps for `ms` or until woken; true when the time ran out. `#wakeBy` can bring the end of
   * the sleep forward.
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
}
