import { randomBytes } from 'node:crypto';
import type { Child } from '../children.ts';
import { postgresPids } from '../cpu.ts';
import { createDatabase, SYNCHRONOUS_COMMIT_NOTE } from '../postgres.ts';
import {
  configureAccount,
  endOf,
  hooklaneEnv,
  hooklaneInFlightNote,
  newRootKey,
  startHooklaneProcess,
} from './hooklane.ts';
import type { BenchSystem } from './types.ts';

const WORKERS = 2;

/** Hooklane scaled out on one machine: an API process and two worker processes on one fresh database. */
export const hooklanePostgresSplit: BenchSystem = {
  id: 'hooklane-postgres-split',
  label: 'Hooklane, PostgreSQL (API + 2 workers)',
  shape: `1 process role=api + ${WORKERS} processes role=worker, PostgreSQL, defaults`,
  store: 'postgres',
  durability: `fsync before the 202: the ingest commits with ${SYNCHRONOUS_COMMIT_NOTE}`,
  inFlight: `${hooklaneInFlightNote()}; the webhook's cap is shared by both workers`,
  async start(options) {
    const { targets, deliveryTimeoutMs, deliver } = options;
    const database = await createDatabase('hooklane_bench');
    const rootKey = newRootKey();
    const env = hooklaneEnv(rootKey, deliveryTimeoutMs, {
      ...options.env,
      DATABASE_URL: database.url,
      HOOKLANE_SECRET_KEY: randomBytes(32).toString('base64'),
    });
    const api = await startHooklaneProcess({ ...env, HOOKLANE_ROLE: 'api' }, 'hooklane-api');
    const ingest = await configureAccount(api.url!, rootKey, targets);
    const workers: Child[] = [];
    const startWorkers = async () => {
      const started = await Promise.all(
        Array.from({ length: WORKERS }, (_, index) =>
          startHooklaneProcess({ ...env, HOOKLANE_ROLE: 'worker' }, `hooklane-worker-${index}`),
        ),
      );
      workers.push(...started.map((worker) => worker.child));
    };
    if (deliver) await startWorkers();
    return {
      ingest,
      direct: null,
      pids: () => [api.child, ...workers].filter((child) => child.alive()).map((child) => child.pid),
      storePids: postgresPids,
      startDelivery: startWorkers,
      async stop() {
        await Promise.all([api.child, ...workers].map((child) => endOf(child, env)));
        await database.drop();
      },
    };
  },
};
