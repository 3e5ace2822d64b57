import { Pool } from 'undici';
import { benchBatch, benchEvent, nowMs } from './events.ts';

/** Where a system takes events: POST a JSON array (or one event) → 202 once stored. */
export interface IngestTarget {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface BurstResult {
  readonly events: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Non-202 answers and errors, by status (or error code). */
  readonly failures: Readonly<Record<string, number>>;
  /** When the first request started (ms, `performance.timeOrigin + performance.now()`). */
  readonly startedAt: number;
  /** When the last 202 arrived. */
  readonly lastAcceptedAt: number;
  readonly ingestPerSecond: number;
}

function pool(url: string, connections: number): { pool: Pool; path: string } {
  const target = new URL(url);
  return {
    pool: new Pool(target.origin, {
      connections,
      keepAliveTimeout: 30_000,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    }),
    path: `${target.pathname}${target.search}`,
  };
}

/**
 * Sends `events` events in batches of `batchSize` from `clients` concurrent clients over
 * keep-alive connections, each client posting its next batch once the previous one is
 * acknowledged. Stops early at `deadline` (ms, same clock).
 */
export async function burst(
  target: IngestTarget,
  options: { events: number; batchSize?: number; clients?: number; deadline: number },
): Promise<BurstResult> {
  const batchSize = options.batchSize ?? 50;
  const clients = options.clients ?? 4;
  const { pool: connections, path } = pool(target.url, clients);
  const headers = { ...target.headers, 'content-type': 'application/json' };
  const batches = Math.ceil(options.events / batchSize);
  let next = 0;
  let accepted = 0;
  let rejected = 0;
  let lastAcceptedAt = 0;
  const failures: Record<string, number> = {};
  const startedAt = nowMs();
  const client = async () => {
    while (next < batches && nowMs() < options.deadline) {
      const index = next++;
      const count = Math.min(batchSize, options.events - index * batchSize);
      const body = benchBatch(count, nowMs());
      try {
        const response = await connections.request({ path, method: 'POST', headers, body });
        await response.body.dump();
        if (response.statusCode === 202) {
          accepted += count;
          lastAcceptedAt = nowMs();
        } else {
          rejected += count;
          failures[response.statusCode] = (failures[response.statusCode] ?? 0) + 1;
        }
      } catch (error) {
        rejected += count;
        const code = (error as { code?: string }).code ?? 'error';
        failures[code] = (failures[code] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  await connections.close();
  const seconds = (lastAcceptedAt - startedAt) / 1000;
  return {
    events: options.events,
    accepted,
    rejected,
    failures,
    startedAt,
    lastAcceptedAt,
    ingestPerSecond: seconds > 0 ? Math.round(accepted / seconds) : 0,
  };
}

export interface PacedResult {
  readonly offered: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Sends skipped because `maxInFlight` requests were already waiting. */
  readonly skipped: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly startedAt: number;
  readonly endedAt: number;
  /** The rate actually offered (events/s). */
  readonly achievedRate: number;
  /** Time to the 202 of single-event requests, ms. */
  readonly ackP50: number | null;
  readonly ackP99: number | null;
}

/**
 * An open-loop paced sender: single-event requests at `rate` per second for `durationMs`,
 * timed by a 1 ms timer that sends whatever is due, whether or not earlier requests
 * have been answered (up to `maxInFlight` waiting).
 */
export async function paced(
  target: IngestTarget,
  options: { rate: number; durationMs: number; maxInFlight?: number },
): Promise<PacedResult> {
  const maxInFlight = options.maxInFlight ?? 2_000;
  const { pool: connections, path } = pool(target.url, 64);
  const headers = { ...target.headers, 'content-type': 'application/json' };
  const acks: number[] = [];
  const failures: Record<string, number> = {};
  let offered = 0;
  let accepted = 0;
  let rejected = 0;
  let skipped = 0;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const send = () => {
    const sentAt = nowMs();
    const request = (async () => {
      try {
        const response = await connections.request({
          path,
          method: 'POST',
          headers,
          body: JSON.stringify(benchEvent(sentAt)),
        });
        await response.body.dump();
        if (response.statusCode === 202) {
          accepted++;
          acks.push(nowMs() - sentAt);
        } else {
          rejected++;
          failures[response.statusCode] = (failures[response.statusCode] ?? 0) + 1;
        }
      } catch (error) {
        rejected++;
        const code = (error as { code?: string }).code ?? 'error';
        failures[code] = (failures[code] ?? 0) + 1;
      } finally {
        inFlight--;
      }
    })();
    inFlight++;
    pending.add(request);
    void request.finally(() => pending.delete(request));
  };
  const startedAt = nowMs();
  const total = Math.round((options.rate * options.durationMs) / 1000);
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((nowMs() - startedAt) * options.rate) / 1000));
      while (offered + skipped < due) {
        if (inFlight >= maxInFlight) skipped++;
        else {
          offered++;
          send();
        }
      }
      if (offered + skipped >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const endedAt = nowMs();
  await Promise.allSettled([...pending]);
  await connections.close();
  acks.sort((a, b) => a - b);
  const pick = (p: number) =>
    acks.length === 0
      ? null
      : Math.round(acks[Math.min(acks.length - 1, Math.ceil((p / 100) * acks.length) - 1)]! * 100) / 100;
  return {
    offered,
    accepted,
    rejected,
    skipped,
    failures,
    startedAt,
    endedAt,
    achievedRate: Math.round(offered / ((endedAt - startedAt) / 1000)),
    ackP50: pick(50),
    ackP99: pick(99),
  };
}
