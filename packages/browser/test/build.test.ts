import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { bundle } from '../scripts/bundle.ts';

const FUNCTIONS = [
  'init',
  'identify',
  'group',
  'track',
  'trigger',
  'flush',
  'reset',
  'bridgeAppcues',
  'createClient',
];

describe('the builds', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'hooklane-browser-'));
  let built: { module: string; script: string };
  before(async () => {
    built = await bundle(outdir);
  });
  after(() => rmSync(outdir, { recursive: true, force: true }));

  it('are at most 3 KB minified and gzipped', () => {
    for (const file of [built.module, built.script]) {
      const size = gzipSync(readFileSync(file)).length;
      assert.ok(size <= 3072, `${file}: ${size} bytes gzipped`);
    }
  });

  it('the <script> build defines window.hooklane, which sends events', async () => {
    const requests: { url: string; body: string }[] = [];
    const window: Record<string, any> = {
      fetch: async (url: string, options: { body: string }) => {
        requests.push({ url, body: options.body });
        return { status: 202, headers: { get: () => null } };
      },
      addEventListener: () => {},
      setTimeout,
      clearTimeout,
      TextEncoder,
      crypto: globalThis.crypto,
      performance: globalThis.performance,
      location: { href: 'https://app.example.com/' },
    };
    window.window = window;
    runInNewContext(readFileSync(built.script, 'utf8'), window);
    assert.deepEqual(Object.keys(window.hooklane).sort(), [...FUNCTIONS].sort());
    window.hooklane.init({ url: 'https://hooks.example.com', account: 'acc_1', key: 'hlp_x' });
    window.hooklane.track('banner_closed', { contentId: 'b1' });
    await window.hooklane.flush();
    assert.equal(requests.length, 1);
    assert.equal(JSON.parse(requests[0]!.body).events[0].name, 'banner_closed');
  });

  it('the module build exports the same functions', async () => {
    const module = await import(pathToFileURL(built.module).href);
    for (const name of FUNCTIONS) assert.equal(typeof module[name], 'function', name);
  });
});
