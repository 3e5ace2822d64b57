import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';

const BATCH = 1000;

/**
 * Prunes what retention no longer needs, in batches of 1000 rows, each its own short
 * transaction, yielding between batches so the queue and the API never wait on it.
 */
export async function pruneOnce(
  store: Store,
  cutoff: number,
  shouldStop: () => boolean = () => false,
): Promise<number> {
  let total = 0;
  for (;;) {
    const removed = await store.pruneBefore(cutoff, BATCH);
    total += removed;
    if (removed < BATCH || shouldStop()) return total;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Runs `pruneOnce` every `intervalMs` (the first run after one interval); returns a stop function. */
export function startRetention(options: {
  store: Store;
  retentionMs: number;
  intervalMs: number;
  logger: Logger;
  now: () => number;
}): () => Promise<void> {
  const { store, retentionMs, intervalMs, logger, now } = options;
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(async () => {
      try {
        const removed = await pruneOnce(store, now() - retentionMs, () => stopped);
        if (removed > 0) logger.info({ removed }, 'retention pruned old deliveries and events');
      } catch (error) {
        logger.warn({ err: error }, 'retention run failed; will try again');
      }
    });
  }, intervalMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
