import { fileURLToPath } from 'node:url';
import type { CeilingCommand } from '../ceiling-sender.ts';
import { forkNode, waitForLine } from '../children.ts';
import type { BenchSystem, DirectSender } from './types.ts';

const SCRIPT = fileURLToPath(new URL('../ceiling-sender.ts', import.meta.url));
/** Connections in flight across all targets (at least 16 per target). */
const CONCURRENCY = 128;

/** The ceiling: ceiling-sender.ts POSTs signed bodies straight to the receiver (no storage). */
export const ceiling: BenchSystem = {
  id: 'ceiling',
  label: 'Ceiling (undici → receiver, no storage)',
  shape: `1 process: undici, keep-alive, ${CONCURRENCY} requests in flight, HMAC-signed bodies, no ingest, no storage`,
  store: 'none',
  durability: 'none: nothing is stored',
  inFlight: `${CONCURRENCY}: the most the receiver and the machine take, the bound for every pipeline`,
  async start() {
    const child = forkNode(SCRIPT, { PATH: process.env.PATH ?? '' }, 'ceiling');
    await waitForLine(child, /ceiling sender ready/, 'ceiling');
    const pending = new Map<number, (reply: any) => void>();
    child.process.on('message', (reply: any) => pending.get(reply.seq)?.(reply));
    let seq = 0;
    const call = (command: Record<string, unknown>): Promise<any> =>
      new Promise((resolve, reject) => {
        const id = ++seq;
        pending.set(id, (reply) => {
          pending.delete(id);
          if (reply.error) reject(new Error(reply.error));
          else resolve(reply.result);
        });
        child.process.send({ ...command, seq: id } as CeilingCommand);
      });
    const direct: DirectSender = {
      burst: ({ events, targets, timeoutMs, deadline }) =>
        call({
          cmd: 'burst',
          events,
          targets,
          timeoutMs,
          deadline,
          concurrencyPerTarget: Math.max(16, Math.ceil(CONCURRENCY / targets.length)),
        }),
      paced: (options) => call({ cmd: 'paced', ...options }),
      abort: async () => {
        await call({ cmd: 'abort' });
      },
    };
    return {
      ingest: null,
      direct,
      pids: () => (child.alive() ? [child.pid] : []),
      storePids: () => [],
      startDelivery: async () => {},
      stop: () => child.kill(),
    };
  },
};
