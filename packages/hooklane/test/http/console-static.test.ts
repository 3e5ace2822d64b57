import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { serveConsole } from '../../src/http/console-static.ts';
import { installErrorHandler } from '../../src/http/error-handler.ts';

/** A Fastify app with only the console's routes and the one error handler, over `dir`. */
async function consoleApp(dir: string): Promise<FastifyInstance> {
  const app = Fastify();
  installErrorHandler(app);
  serveConsole(app, dir);
  await app.ready();
  return app;
}

describe('the console at /ui', () => {
  let dir: string;
  let app: FastifyInstance;
  const page =
    '<!doctype html><title>console</title><script type="module" src="/ui/assets/index-4rxNMEzO.js"></script>';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hooklane-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), page);
    writeFileSync(join(dir, 'assets', 'index-4rxNMEzO.js'), 'console.log(1);');
    writeFileSync(join(dir, 'assets', 'index-Bq3xY_9Z.css'), 'body{}');
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(tmpdir(), 'hooklane-console-outside.txt'), 'secret');
    app = await consoleApp(dir);
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(tmpdir(), 'hooklane-console-outside.txt'), { force: true });
  });

  test('serves index.html at /ui and /ui/, never cached, with the page headers', async () => {
    for (const url of ['/ui', '/ui/']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      assert.equal(res.body, page);
    }
  });

  test('serves hashed assets with their content type and a year of cache', async () => {
    const js = await app.inject({ url: '/ui/assets/index-4rxNMEzO.js' });
    assert.equal(js.statusCode, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.body, 'console.log(1);');
    const css = await app.inject({ url: '/ui/assets/index-Bq3xY_9Z.css' });
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    assert.equal(css.headers['cache-control'], 'public, max-age=31536000, immutable');
    const svg = await app.inject({ url: '/ui/favicon.svg' });
    assert.equal(svg.headers['content-type'], 'image/svg+xml');
    assert.equal(svg.headers['cache-control'], 'no-cache', 'a file without a hash may change');
  });

  test('answers index.html for the app routes (deep links), with any query', async () => {
    for (const url of [
      '/ui/webhooks',
      '/ui/webhooks/wh_123',
      '/ui/deliveries?status=failed&webhook_id=wh_1',
    ]) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.equal(res.body, page);
    }
  });

  test('a missing file with an extension is a JSON 404, not the page', async () => {
    const res = await app.inject({ url: '/ui/assets/index-OLDHASH1.js' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'not_found');
  });

  test('never serves a file outside the console directory', async () => {
    for (const url of [
      '/ui/../hooklane-console-outside.txt',
      '/ui/%2e%2e/hooklane-console-outside.txt',
      '/ui/..%2fhooklane-console-outside.txt',
      '/ui/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/ui/%E0%A4%A',
    ]) {
      const res = await app.inject({ url });
      assert.ok(!res.body.includes('secret'), url);
      assert.ok([400, 404].includes(res.statusCode) || res.body === page, `${url}: ${res.statusCode}`);
    }
  });

  test('HEAD works like GET without a body', async () => {
    const res = await app.inject({ method: 'HEAD', url: '/ui/assets/index-4rxNMEzO.js' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(res.body, '');
  });
});

test('without a built console, /ui says how to build it in a not_found error', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'hooklane-console-empty-'));
  const app = await consoleApp(join(empty, 'dist'));
  try {
    for (const url of ['/ui', '/ui/webhooks', '/ui/assets/index-4rxNMEzO.js']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 404, url);
      const body = res.json();
      assert.equal(body.error.code, 'not_found');
      assert.match(body.error.message, /console is not built.*npm run build --workspace @hooklane\/console/);
    }
  } finally {
    await app.close();
    rmSync(empty, { recursive: true, force: true });
  }
});
