import { postgresPids } from '../cpu.ts';
import { createDatabase, SYNCHRONOUS_COMMIT_NOTE } from '../postgres.ts';
import { peerInFlightNote, startPeer } from './peer.ts';
import type { BenchSystem } from './types.ts';

/** peers/pgboss.ts on a fresh PostgreSQL database. */
export const pgbossPeer: BenchSystem = {
  id: 'pgboss',
  label: 'pg-boss + Fastify (peer)',
  shape:
    '1 process: Fastify ingest (202 after boss.insert) + boss.work (batchSize 100 × localConcurrency 2, requests capped by the connections), PostgreSQL',
  store: 'postgres',
  durability: `fsync before the 202: every commit with ${SYNCHRONOUS_COMMIT_NOTE}`,
  inFlight: `${peerInFlightNote()}, by the undici connections; a batch's other jobs wait for one`,
  async start(options) {
    const database = await createDatabase('pgboss_bench');
    // The worker's batch size and local concurrency can be tried from the bench's environment.
    const tuning = Object.fromEntries(
      ['PGBOSS_BATCH_SIZE', 'PGBOSS_LOCAL_CONCURRENCY'].flatMap((name) => {
        const value = process.env[name];
        return value ? [[name, value]] : [];
      }),
    );
    return startPeer(
      'pgboss',
      options,
      { DATABASE_URL: database.url, PEER_QUEUE: 'webhooks', ...tuning },
      () => database.drop(),
      postgresPids,
    );
  },
};
