import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { installErrorHandler } from '../../src/http/error-handler.ts';
import { servePortal } from '../../src/http/portal-static.ts';

async function portalOn(dir: string, frameAncestors = '*') {
  const app = Fastify();
  installErrorHandler(app);
  servePortal(app, frameAncestors, dir);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { app, url: `http://127.0.0.1:${port}` };
}

test('the portal page may be framed where configured, sends no Referer, and deep links get the page', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hooklane-portal-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>portal</title>');
  writeFileSync(join(dir, 'assets', 'index-AbCdEfGh12.js'), 'console.log(1)');
  const { app, url } = await portalOn(dir, 'https://app.example.com');
  t.after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });
  for (const path of ['/portal', '/portal/', '/portal/webhooks/wh_1?accent=%23ff0000&theme=dark']) {
    const page = await fetch(`${url}${path}`);
    assert.equal(page.status, 200, path);
    assert.match(await page.text(), /portal/);
    assert.equal(page.headers.get('x-frame-options'), null, 'framing is allowed');
    assert.match(
      page.headers.get('content-security-policy') ?? '',
      /frame-ancestors https:\/\/app\.example\.com;/,
    );
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(page.headers.get('cache-control'), 'no-cache');
  }
  const asset = await fetch(`${url}/portal/assets/index-AbCdEfGh12.js`);
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
  const missing = await fetch(`${url}/portal/assets/gone-AbCdEfGh12.js`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'not_found');
  const traversal = await fetch(`${url}/portal/..%2f..%2fetc%2fpasswd`);
  assert.notEqual(traversal.status, 500);
  assert.doesNotMatch(await traversal.text(), /root:/);
});

test('an unbuilt portal answers a not_found error that says how to build it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hooklane-portal-'));
  const { app, url } = await portalOn(dir);
  t.after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const response = await fetch(`${url}/portal`);
  assert.equal(response.status, 404);
  assert.match(((await response.json()) as { error: { message: string } }).error.message, /npm run build/);
});
