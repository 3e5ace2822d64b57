import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { onCleanup } from '../children.ts';
import { startPeer } from './peer.ts';
import type { BenchSystem } from './types.ts';

export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** peers/bullmq.ts on the local Redis, with a queue of its own, obliterated afterwards. */
export const bullmqPeer: BenchSystem = {
  id: 'bullmq',
  label: 'BullMQ + Fastify (peer)',
  shape: '1 process: Fastify ingest (202 after queue.addBulk) + BullMQ worker (concurrency 64), Redis',
  store: 'redis',
  async start(options) {
    const name = `hooklane-bench-${randomBytes(4).toString('hex')}`;
    const obliterate = async () => {
      const queue = new Queue(name, { connection: { url: REDIS_URL, maxRetriesPerRequest: null } });
      try {
        await queue.obliterate({ force: true });
      } finally {
        await queue.close();
      }
    };
    const forget = onCleanup(obliterate);
    return startPeer('bullmq', options, { REDIS_URL, PEER_QUEUE: name }, async () => {
      forget();
      await obliterate();
    });
  },
};
