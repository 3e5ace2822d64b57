import { randomBytes } from 'node:crypto';
import { postgresPids } from '../cpu.ts';
import { createDatabase, SYNCHRONOUS_COMMIT_NOTE } from '../postgres.ts';
import { hooklaneEnv, hooklaneInFlightNote, newRootKey, startOneProcess } from './hooklane.ts';
import type { BenchSystem } from './types.ts';

/** Hooklane on PostgreSQL: one `npm start` process with HOOKLANE_ROLE=all, a fresh database. */
export const hooklanePostgres: BenchSystem = {
  id: 'hooklane-postgres',
  label: 'Hooklane, PostgreSQL (1 process)',
  shape: '1 process (role all), PostgreSQL, pool 10, defaults',
  store: 'postgres',
  durability: `fsync before the 202: the ingest commits with ${SYNCHRONOUS_COMMIT_NOTE}`,
  inFlight: hooklaneInFlightNote(),
  async start(options) {
    const { targets, deliveryTimeoutMs, deliver } = options;
    const database = await createDatabase('hooklane_bench');
    const rootKey = newRootKey();
    const env = hooklaneEnv(rootKey, deliveryTimeoutMs, {
      ...options.env,
      DATABASE_URL: database.url,
      HOOKLANE_SECRET_KEY: randomBytes(32).toString('base64'),
      HOOKLANE_ROLE: deliver ? 'all' : 'api',
    });
    return startOneProcess(env, 'hooklane-postgres', rootKey, targets, () => database.drop(), postgresPids);
  },
};
