import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from '../children.ts';
import { configureAccount, hooklaneEnv, newRootKey, portOf, startHooklaneProcess } from './hooklane.ts';
import type { BenchSystem } from './types.ts';

/** Hooklane embedded: one `npm start` process on SQLite in a temp data dir, all defaults. */
export const hooklaneSqlite: BenchSystem = {
  id: 'hooklane-sqlite',
  label: 'Hooklane, SQLite',
  shape: '1 process (role all), embedded SQLite (WAL, synchronous=FULL), defaults',
  store: 'sqlite',
  async start({ targets, deliveryTimeoutMs, deliver }) {
    const dataDir = mkdtempSync(join(tmpdir(), 'hooklane-bench-'));
    const removeDir = async () => rmSync(dataDir, { recursive: true, force: true });
    const forget = onCleanup(removeDir);
    const rootKey = newRootKey();
    const env = hooklaneEnv(rootKey, deliveryTimeoutMs, {
      HOOKLANE_DATA_DIR: dataDir,
      HOOKLANE_ROLE: deliver ? 'all' : 'api',
    });
    let server = await startHooklaneProcess(env, 'hooklane-sqlite');
    const ingest = await configureAccount(server.url!, rootKey, targets);
    return {
      ingest,
      direct: null,
      pids: () => (server.child.alive() ? [server.child.pid] : []),
      async startDelivery() {
        // The embedded store allows one process per data dir: the API-only process gives way to a full one.
        await server.child.stop();
        server = await startHooklaneProcess(
          { ...env, HOOKLANE_ROLE: 'all', PORT: portOf(server.url!) },
          'hooklane-sqlite',
        );
      },
      async stop() {
        await server.child.kill();
        forget();
        await removeDir();
      },
    };
  },
};
