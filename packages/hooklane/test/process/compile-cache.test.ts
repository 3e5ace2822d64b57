import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN } from '../cli/run-cli.ts';
import { startChildServer } from '../helpers/child-server.ts';

/**
 * The launchers (`npm start`'s bin/hooklane-server.js and the `hooklane` command) turn on Node's
 * compile cache before any TypeScript loads: a warm start neither strips the sources again nor
 * loads Node's type stripper. Each test points the default cache directory (`os.tmpdir()`) at
 * its own folder through TMPDIR, so that it starts cold and shares nothing.
 */

/** Loaded with `--import`: on exit, says whether Node's type stripper (amaro) was loaded. */
const PROBE = `data:text/javascript,${encodeURIComponent(
  "process.on('exit', () => process.stderr.write('type-stripper-loaded=' + process.moduleLoadList.some((m) => m.includes('amaro')) + '\\n'));",
)}`;

function cacheFiles(dir: string): number {
  return readdirSync(join(dir, 'node-compile-cache'), { recursive: true }).length;
}

describe('compile cache', () => {
  it('a killed first start leaves the cache, and the next start does without the type stripper', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooklane-compile-cache-'));
    try {
      const env = { TMPDIR: dir };
      const cold = await startChildServer(join(dir, 'data-1'), { env, nodeArgs: ['--import', PROBE] });
      await cold.stop('SIGKILL');
      assert.ok(cacheFiles(dir) > 10, 'the first start saved its cache before printing its URL');

      const warm = await startChildServer(join(dir, 'data-2'), { env, nodeArgs: ['--import', PROBE] });
      assert.equal((await warm.stop()).code, 0);
      assert.match(warm.stderr(), /type-stripper-loaded=false/);

      // The probe can tell: with the cache off, the stripper loads.
      const off = await startChildServer(join(dir, 'data-3'), {
        env: { ...env, NODE_DISABLE_COMPILE_CACHE: '1' },
        nodeArgs: ['--import', PROBE],
      });
      assert.equal((await off.stop()).code, 0);
      assert.match(off.stderr(), /type-stripper-loaded=true/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the hooklane command warms its cache on the first run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooklane-compile-cache-'));
    try {
      const run = () =>
        spawnSync(process.execPath, ['--import', PROBE, BIN, '--help'], {
          env: { PATH: process.env.PATH ?? '', HOME: dir, TMPDIR: dir },
          encoding: 'utf8',
          timeout: 15_000,
        });
      const first = run();
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stderr, /type-stripper-loaded=true/);
      const second = run();
      assert.equal(second.status, 0, second.stderr);
      assert.match(second.stdout, /Usage: hooklane/);
      assert.match(second.stderr, /type-stripper-loaded=false/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
