import { randomBytes } from 'node:crypto';
import { createDatabase } from '../postgres.ts';
import { configureAccount, hooklaneEnv, newRootKey, portOf, startHooklaneProcess } from './hooklane.ts';
import type { BenchSystem } from './types.ts';

/** Hooklane on PostgreSQL: one `npm start` process with HOOKLANE_ROLE=all, a fresh database. */
export const hooklanePostgres: BenchSystem = {
  id: 'hooklane-postgres',
  label: 'Hooklane, PostgreSQL (1 process)',
  shape: '1 process (role all), PostgreSQL, pool 10, defaults',
  store: 'postgres',
  async start({ targets, deliveryTimeoutMs, deliver }) {
    const database = await createDatabase('hooklane_bench');
    const rootKey = newRootKey();
    const env = hooklaneEnv(rootKey, deliveryTimeoutMs, {
      DATABASE_URL: database.url,
      HOOKLANE_SECRET_KEY: randomBytes(32).toString('base64'),
      HOOKLANE_ROLE: deliver ? 'all' : 'api',
    });
    let server = await startHooklaneProcess(env, 'hooklane-postgres');
    const ingest = await configureAccount(server.url!, rootKey, targets);
    return {
      ingest,
      direct: null,
      pids: () => (server.child.alive() ? [server.child.pid] : []),
      async startDelivery() {
        // Same shape as the other runs: the one process, now with its delivery engine.
        await server.child.stop();
        server = await startHooklaneProcess(
          { ...env, HOOKLANE_ROLE: 'all', PORT: portOf(server.url!) },
          'hooklane-postgres',
        );
      },
      async stop() {
        await server.child.kill();
        await database.drop();
      },
    };
  },
};
