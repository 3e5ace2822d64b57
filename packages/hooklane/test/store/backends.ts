import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';

/** A store backend under test: the contract suite runs once per entry. */
export interface Backend {
  readonly name: string;
  open(attempts?: number): Promise<{ store: Store; dispose(): Promise<void> }>;
}

export const BACKENDS: readonly Backend[] = [
  {
    name: 'sqlite',
    async open(attempts = 4) {
      const dir = mkdtempSync(join(tmpdir(), 'hooklane-store-'));
      const store = SqliteStore.open({ path: join(dir, 'hooklane.db'), deliveryAttempts: attempts });
      return {
        store,
        async dispose() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];
