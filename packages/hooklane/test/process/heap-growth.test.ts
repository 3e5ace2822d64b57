import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type ChildServer, startChildServer } from '../helpers/child-server.ts';
import { eventually } from '../helpers/hooklane.ts';

/**
 * `npm start` (and `hooklane start`) let V8's old generation grow to twice what survived the
 * last full collection (src/start.ts, `tuneHeapGrowth`), and an operator's own
 * `--heap-growing-percent` on the command line wins. V8 has no way to read a flag back, so the
 * probe below, loaded into the server with `--import`, measures its effect: on SIGUSR2 it keeps
 * ~200,000 objects alive while allocating 4 million more (each lives long enough to be promoted),
 * counts the full collections, and prints the count on stderr.
 */
const PROBE = `data:text/javascript,${encodeURIComponent(`
import { PerformanceObserver } from 'node:perf_hooks';
process.on('SIGUSR2', () => {
  let full = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (entry.detail.kind === 4) full++;
  }).observe({ entryTypes: ['gc'] });
  const ring = new Array(200000);
  for (let i = 0; i < 4000000; i++) ring[i % ring.length] = { i, s: 'x' + i, list: [i] };
  setTimeout(() => process.stderr.write('full-gcs=' + full + ' ' + ring.length + '\\n'), 200);
});`)}`;

async function fullCollections(server: ChildServer): Promise<number> {
  server.process.kill('SIGUSR2');
  const count = await eventually(() => /full-gcs=(\d+)/.exec(server.stderr())?.[1], 30_000, 'the probe');
  return Number(count);
}

describe('heap growth', () => {
  it('the server sets 100% growth itself, and an operator-set growth wins', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hooklane-heap-growth-'));
    // As npm start runs it (package.json).
    const flags = ['--max-semi-space-size=8', '--max-old-space-size=160', '--import', PROBE];
    const count = async (name: string, extra: string[]) => {
      const server = await startChildServer(join(dir, name), { nodeArgs: [...extra, ...flags] });
      const full = await fullCollections(server);
      assert.equal((await server.stop()).code, 0);
      return full;
    };
    try {
      const tuned = await count('tuned', []);
      const same = await count('operator-100', ['--heap-growing-percent=100']);
      const slow = await count('operator-10', ['--heap-growing-percent=10']);
      t.diagnostic(`full collections: ${tuned} as started, ${same} at 100%, ${slow} at 10%`);
      // Measured: 7–8 as started and at 100%, 14–17 at 10%, 10–13 with the tuning removed.
      assert.ok(tuned <= same + 1, `as started ${tuned}, at 100% ${same}: the tuning did not apply`);
      assert.ok(
        slow >= tuned + 4,
        `at 10% ${slow}, as started ${tuned}: the operator's growth was overridden`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
