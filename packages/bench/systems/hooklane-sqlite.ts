import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from '../children.ts';
import { hooklaneEnv, hooklaneInFlightNote, newRootKey, startOneProcess } from './hooklane.ts';
import type { BenchSystem } from './types.ts';

/** Hooklane embedded: one `npm start` process on SQLite in a temp data dir, all defaults. */
export const hooklaneSqlite: BenchSystem = {
  id: 'hooklane-sqlite',
  label: 'Hooklane, SQLite',
  shape: '1 process (role all), embedded SQLite (WAL, synchronous=FULL), defaults',
  store: 'sqlite',
  durability: 'fsync before the 202 (WAL, synchronous=FULL)',
  inFlight: hooklaneInFlightNote(),
  async start(options) {
    const { targets, deliveryTimeoutMs, deliver } = options;
    const dataDir = mkdtempSync(join(tmpdir(), 'hooklane-bench-'));
    const removeDir = async () => rmSync(dataDir, { recursive: true, force: true });
    const forget = onCleanup(removeDir);
    const rootKey = newRootKey();
    const env = hooklaneEnv(rootKey, deliveryTimeoutMs, {
      ...options.env,
      HOOKLANE_DATA_DIR: dataDir,
      HOOKLANE_ROLE: deliver ? 'all' : 'api',
    });
    return startOneProcess(env, 'hooklane-sqlite', rootKey, targets, async () => {
      forget();
      await removeDir();
    });
  },
};
