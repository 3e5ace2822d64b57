import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { type RedisPersistence, type RedisServer, startRedis } from '../redis.ts';
import { peerInFlightNote, startPeer } from './peer.ts';
import type { BenchSystem } from './types.ts';

/**
 * The Redis servers the bench starts for BullMQ, one per persistence mode, started at first
 * use and kept for the run (each instance has a queue of its own); stopped when the bench exits.
 */
const servers = new Map<RedisPersistence, Promise<RedisServer>>();

function redisFor(persistence: RedisPersistence): Promise<RedisServer> {
  let server = servers.get(persistence);
  if (!server) {
    server = startRedis(persistence);
    // A failed start is tried again by the next instance.
    server.catch(() => servers.delete(persistence));
    servers.set(persistence, server);
  }
  return server;
}

/** Stops the Redis servers the bench started (the exit handlers kill them in any case). */
export async function stopRedisServers(): Promise<void> {
  const started = [...servers.values()];
  servers.clear();
  await Promise.allSettled(started.map(async (server) => (await server).stop()));
}

/** peers/bullmq.ts on a Redis the bench started, with a queue of its own, obliterated afterwards. */
function bullmqOn(persistence: RedisPersistence, system: Omit<BenchSystem, 'start' | 'store' | 'inFlight'>) {
  const peer: BenchSystem = {
    ...system,
    store: 'redis',
    inFlight: peerInFlightNote(),
    async start(options) {
      const redis = await redisFor(persistence);
      const name = `hooklane-bench-${randomBytes(4).toString('hex')}`;
      const obliterate = async () => {
        const queue = new Queue(name, { connection: { url: redis.url, maxRetriesPerRequest: null } });
        try {
          await queue.obliterate({ force: true });
        } finally {
          await queue.close();
        }
      };
      // The queue is emptied when the instance stops, so that the next round starts on an empty
      // Redis; when the bench exits, the server and its files go whole.
      return startPeer('bullmq', options, { REDIS_URL: redis.url, PEER_QUEUE: name }, obliterate, () => [
        redis.pid,
      ]);
    },
  };
  return peer;
}

/** BullMQ as durable as Hooklane: Redis fsyncs its append-only file before it acknowledges a write. */
export const bullmqPeer = bullmqOn('always', {
  id: 'bullmq',
  label: 'BullMQ + Fastify, Redis appendfsync always (peer)',
  shape:
    '1 process: Fastify ingest (202 after queue.addBulk) + BullMQ worker; a Redis of its own with --appendonly yes --appendfsync always',
  durability: 'fsync before the 202 (Redis AOF, appendfsync always)',
});

/** The reference row: BullMQ on a Redis that keeps nothing on disk, the fastest it can be. */
export const bullmqVolatilePeer = bullmqOn('none', {
  id: 'bullmq-volatile',
  label: 'BullMQ + Fastify, Redis without persistence (reference)',
  shape:
    "1 process: Fastify ingest (202 after queue.addBulk) + BullMQ worker; a Redis of its own with --appendonly no --save ''",
  durability: 'none: Redis keeps jobs in memory only; a crash loses every acknowledged event',
});
