import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startChildServer } from '../helpers/child-server.ts';

/**
 * A process loads only the store adapter it is configured for: the embedded store's process
 * never loads `pg` (the PostgreSQL adapter's driver costs every process ~1.3 MB of RSS at idle).
 */

/** Loaded with `--import`: on exit, says whether the `pg` package was loaded. */
const PROBE = `data:text/javascript,${encodeURIComponent(
  "process.on('exit', () => { const cache = process.getBuiltinModule('node:module').createRequire('/').cache; process.stderr.write('pg-loaded=' + Object.keys(cache).some((path) => /[\\\\/]node_modules[\\\\/]pg[\\\\/]/.test(path)) + '\\n'); });",
)}`;

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

describe('store adapters', () => {
  it('a server on the embedded store does not load the PostgreSQL driver', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooklane-store-modules-'));
    try {
      const server = await startChildServer(join(dir, 'data'), { nodeArgs: ['--import', PROBE] });
      assert.equal((await server.stop()).code, 0);
      assert.match(server.stderr(), /pg-loaded=false/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the probe sees pg when a process loads it', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', PROBE, '--input-type=module', '-e', "import 'pg';"],
      {
        cwd: PACKAGE_DIR,
        encoding: 'utf8',
        timeout: 15_000,
      },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /pg-loaded=true/);
  });
});
