// Runs each example of the README (examples/*.ts) against real requests, and checks the README shows them verbatim.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { app as expressApp } from '../examples/express.ts';
import { app as fastifyApp } from '../examples/fastify.ts';
import { POST } from '../examples/nextjs-route.ts';
import { server as nodeServer } from '../examples/node-http.ts';
import { sign } from '../src/index.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const event = { id: 'evt_1', name: 'appcues:flow_completed', attributes: { flowId: 'f1' } };
const body = JSON.stringify(event);

type Send = (body: string, headers: Record<string, string>) => Promise<Response>;

/** The behaviour every example must have. */
function behaves(send: () => Send) {
  test('accepts a Standard Webhooks request and hands over the parsed payload', async (t) => {
    const log = t.mock.method(console, 'log', () => {});
    const headers = await sign({ scheme: 'standard', body, secret: SECRET, id: 'msg_example' });
    const res = await send()(body, { 'content-type': 'application/json', ...headers });
    assert.equal(res.status, 204, await res.text());
    assert.deepEqual(log.mock.calls[0]?.arguments, ['webhook', 'msg_example', event]);
  });

  test('accepts an Appcues-signed request', async (t) => {
    t.mock.method(console, 'log', () => {});
    const headers = await sign({ scheme: 'appcues', body, secret: SECRET });
    const res = await send()(body, { 'content-type': 'application/json', ...headers });
    assert.equal(res.status, 204);
  });

  test('refuses a tampered body, a stale request and a missing signature with 400 and the code', async (t) => {
    const log = t.mock.method(console, 'log', () => {});
    const headers = await sign({ scheme: 'standard', body, secret: SECRET });
    const stale = await sign({ scheme: 'standard', body, secret: SECRET, timestamp: Date.now() - 600_000 });
    const cases: [string, Record<string, string>, string][] = [
      [body.replace('f1', 'f2'), headers, 'invalid_signature'],
      [body, stale, 'timestamp_too_old'],
      [body, {}, 'missing_header'],
      [body, await sign({ scheme: 'standard', body, secret: 'whsec_AAAA' }), 'invalid_signature'],
    ];
    for (const [payload, h, code] of cases) {
      const res = await send()(payload, { 'content-type': 'application/json', ...h });
      assert.equal(res.status, 400);
      assert.equal(await res.text(), code);
    }
    assert.equal(log.mock.callCount(), 0);
  });
}

/** POSTs to a server listening on 127.0.0.1. */
function over(server: () => Server | { server: Server }): Send {
  return (body, headers) => {
    const s = server();
    const { port } = ('server' in s ? s.server : s).address() as AddressInfo;
    return fetch(`http://127.0.0.1:${port}/webhooks/hooklane`, { method: 'POST', body, headers });
  };
}

before(() => {
  process.env.HOOKLANE_WEBHOOK_SECRET = SECRET;
});

describe('examples/node-http.ts', () => {
  before(() => new Promise<void>((resolve) => nodeServer.listen(0, '127.0.0.1', resolve)));
  after(() => new Promise<void>((resolve) => nodeServer.close(() => resolve())));
  behaves(() => over(() => nodeServer));
});

describe('examples/express.ts', () => {
  let server: Server;
  before(() => new Promise<void>((resolve) => (server = expressApp.listen(0, '127.0.0.1', () => resolve()))));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  behaves(() => over(() => server));
});

describe('examples/fastify.ts', () => {
  before(() => fastifyApp.listen({ port: 0, host: '127.0.0.1' }));
  after(() => fastifyApp.close());
  behaves(() => over(() => fastifyApp));
});

describe('examples/nextjs-route.ts', () => {
  behaves(
    () => (body, headers) =>
      POST(new Request('http://localhost/webhooks/hooklane', { method: 'POST', body, headers })),
  );
});

test('README.md shows every example verbatim', () => {
  const dir = new URL('../examples/', import.meta.url);
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const shown = new Map(
    [...readme.matchAll(/<!-- (examples\/[\w.-]+) -->\n```ts\n([\s\S]*?)```/g)].map((m) => [m[1], m[2]]),
  );
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.deepEqual(files.sort(), ['express.ts', 'fastify.ts', 'nextjs-route.ts', 'node-http.ts']);
  for (const file of files) {
    assert.equal(shown.get(`examples/${file}`), readFileSync(new URL(file, dir), 'utf8'), `examples/${file}`);
  }
});
