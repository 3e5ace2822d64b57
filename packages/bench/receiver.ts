import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Child, forkNode } from './children.ts';
import { nowMs } from './events.ts';

/**
 * The webhook receiver: a minimal node:http server in its own process that answers 204
 * (or never, as told over IPC) and records, per (path, event id), the arrival
 * time (`performance.timeOrigin + performance.now()`, comparable across processes) and
 * the latency from the event's `attributes.sent_at`.
 */

export type ReceiverMode = { kind: 'ok' } | { kind: 'hang' };

export interface PathStats {
  readonly unique: number;
  readonly firstAt: number | null;
  readonly lastAt: number | null;
}

export interface LatencyStats {
  readonly count: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

export interface ReceiverStats {
  /** Every request, whatever was answered. */
  readonly requests: number;
  /** Requests left unanswered (hang mode). */
  readonly hung: number;
  /** Distinct (path, event id) pairs answered with a 2xx. */
  readonly unique: number;
  /** Repeated (path, event id) pairs answered with a 2xx. */
  readonly duplicates: number;
  /** Requests without a `webhook-signature` header. */
  readonly unsigned: number;
  /** Requests whose body had no event id or sent_at. */
  readonly unreadable: number;
  readonly firstAt: number | null;
  readonly lastAt: number | null;
  readonly paths: Readonly<Record<string, PathStats>>;
  /** ms from `attributes.sent_at` to arrival, over first arrivals. */
  readonly latency: LatencyStats;
  /** The worst of those latencies in each second since the first arrival: when a tail happened. */
  readonly worstBySecond: readonly number[];
}

type Command =
  | { cmd: 'stats'; seq: number }
  | { cmd: 'reset'; seq: number }
  | { cmd: 'mode'; seq: number; mode: ReceiverMode };

/** Pulls `"id":"..."` (the first one is the envelope's: it is the first key) and `"sent_at":<n>` out of a body. */
function readEvent(body: string): { id: string; sentAt: number } | null {
  const idAt = body.indexOf('"id":"');
  const sentAt = body.indexOf('"sent_at":');
  if (idAt < 0 || sentAt < 0) return null;
  const idEnd = body.indexOf('"', idAt + 6);
  let end = sentAt + 10;
  while (end < body.length && '0123456789.eE+-'.includes(body[end]!)) end++;
  const sent = Number(body.slice(sentAt + 10, end));
  if (idEnd < 0 || !Number.isFinite(sent)) return null;
  return { id: body.slice(idAt + 6, idEnd), sentAt: sent };
}

function percentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, index)]! * 100) / 100;
}

function runReceiver(): void {
  let mode: ReceiverMode = { kind: 'ok' };
  let seen = new Map<string, number>();
  let paths = new Map<string, { unique: number; firstAt: number | null; lastAt: number | null }>();
  let latencies = new Float64Array(1 << 16);
  let latencyCount = 0;
  let worstBySecond: number[] = [];
  let counters = { requests: 0, hung: 0, duplicates: 0, unsigned: 0, unreadable: 0 };
  let firstAt: number | null = null;
  let lastAt: number | null = null;
  const hanging = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = nowMs();
      counters.requests++;
      if (mode.kind === 'hang') {
        counters.hung++;
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      res.writeHead(204).end();
      if (req.headers['webhook-signature'] === undefined) counters.unsigned++;
      const event = readEvent(Buffer.concat(chunks).toString('utf8'));
      if (!event) {
        counters.unreadable++;
        return;
      }
      const path = req.url ?? '/';
      const key = `${path} ${event.id}`;
      if (seen.has(key)) {
        counters.duplicates++;
        return;
      }
      seen.set(key, at);
      firstAt ??= at;
      lastAt = at;
      let stats = paths.get(path);
      if (!stats) {
        stats = { unique: 0, firstAt: at, lastAt: at };
        paths.set(path, stats);
      }
      stats.unique++;
      stats.lastAt = at;
      if (latencyCount === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[latencyCount++] = at - event.sentAt;
      const second = Math.floor((at - firstAt) / 1000);
      while (worstBySecond.length <= second) worstBySecond.push(0);
      worstBySecond[second] = Math.max(worstBySecond[second]!, Math.round(at - event.sentAt));
    });
  });
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  const stats = (): ReceiverStats => {
    const sorted = latencies.slice(0, latencyCount).sort();
    let sum = 0;
    for (const value of sorted) sum += value;
    return {
      ...counters,
      unique: seen.size,
      firstAt,
      lastAt,
      paths: Object.fromEntries(paths),
      latency: {
        count: latencyCount,
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        p99: percentile(sorted, 99),
        max: percentile(sorted, 100),
        mean: latencyCount ? Math.round((sum / latencyCount) * 100) / 100 : null,
      },
      worstBySecond,
    };
  };

  process.on('message', (message: Command) => {
    if (message.cmd === 'reset') {
      seen = new Map();
      paths = new Map();
      latencies = new Float64Array(1 << 16);
      latencyCount = 0;
      worstBySecond = [];
      counters = { requests: 0, hung: 0, duplicates: 0, unsigned: 0, unreadable: 0 };
      firstAt = null;
      lastAt = null;
      process.send?.({ seq: message.seq, ok: true });
    } else if (message.cmd === 'mode') {
      mode = message.mode;
      process.send?.({ seq: message.seq, ok: true });
    } else if (message.cmd === 'stats') {
      process.send?.({ seq: message.seq, stats: stats() });
    }
  });
  process.on('disconnect', () => process.exit(0));

  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`receiver listening on http://127.0.0.1:${port}\n`);
    process.send?.({ ready: `http://127.0.0.1:${port}` });
  });
}

/** The orchestrator's handle on a receiver process. */
export interface Receiver {
  readonly url: string;
  readonly child: Child;
  stats(): Promise<ReceiverStats>;
  reset(): Promise<void>;
  setMode(mode: ReceiverMode): Promise<void>;
  stop(): Promise<void>;
}

export async function startReceiver(name: string): Promise<Receiver> {
  const script = fileURLToPath(import.meta.url);
  const child = forkNode(script, { PATH: process.env.PATH ?? '' }, name);
  const pending = new Map<number, (reply: any) => void>();
  let seq = 0;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${child.stderr()}`)), 10_000);
    child.process.on('message', (message: any) => {
      if (message.ready) {
        clearTimeout(timer);
        resolve(message.ready);
      } else pending.get(message.seq)?.(message);
    });
    child.process.once('exit', () => reject(new Error(`${name} exited: ${child.stderr()}`)));
  });
  const call = (command: Record<string, unknown>): Promise<any> =>
    new Promise((resolve, reject) => {
      const id = ++seq;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${name}: no answer to ${String(command.cmd)}`));
      }, 15_000);
      pending.set(id, (reply) => {
        clearTimeout(timer);
        pending.delete(id);
        resolve(reply);
      });
      child.process.send({ ...command, seq: id });
    });
  return {
    url,
    child,
    stats: async () => (await call({ cmd: 'stats' })).stats as ReceiverStats,
    reset: async () => {
      await call({ cmd: 'reset' });
    },
    setMode: async (mode) => {
      await call({ cmd: 'mode', mode });
    },
    stop: () => child.stop(1_000),
  };
}

if (import.meta.main) runReceiver();
