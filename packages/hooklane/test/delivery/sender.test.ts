// The sender against a real node:http server on 127.0.0.1 that answers, or never does.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createSender } from '../../src/delivery/sender.ts';

describe('sender', () => {
  let server: http.Server;
  let base = '';
  const arrived: string[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      arrived.push(req.url ?? '');
      if (req.url === '/hang') return; // never answers
      req.resume();
      req.on('end', () => {
        if (req.url === '/big') {
          res.writeHead(200, { 'x-one': 'a', 'set-cookie': ['b=1', 'c=2'] });
          res.write('x'.repeat(800));
          setTimeout(() => res.end('y'.repeat(800)), 5); // two chunks
        } else if (req.url === '/moved') res.writeHead(302, { location: '/ok' }).end();
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const sender = () =>
    createSender({
      timeoutMs: 300,
      maxResponseBytes: 1024,
      allowPrivateNetworks: true,
      connectionsPerOrigin: 4,
    });

  it('answers within the timeout are results; a hanging endpoint is a timeout after it', async () => {
    const s = sender();
    const signal = new AbortController().signal;
    const ok = await s.send(`${base}/ok`, {}, '{}', signal);
    assert.equal(ok.status, 204);
    assert.equal(ok.error, null);
    const hung = await s.send(`${base}/hang`, {}, '{}', signal);
    assert.equal(hung.status, null);
    assert.match(hung.error ?? '', /^timeout: no complete response within 300 ms/);
    assert.ok(hung.durationMs >= 290 && hung.durationMs < 2_000, `took ${hung.durationMs} ms`);
    await s.close();
  });

  it('keeps the status, the headers and the first maxResponseBytes of the body; follows no redirect', async () => {
    const s = sender();
    const signal = new AbortController().signal;
    const big = await s.send(`${base}/big`, { 'x-test': '1' }, '{}', signal);
    assert.equal(big.status, 200);
    assert.equal(big.error, null);
    assert.equal(big.body, `${'x'.repeat(800)}${'y'.repeat(224)}`);
    assert.equal(big.headers?.['x-one'], 'a');
    assert.equal(big.headers?.['set-cookie'], 'b=1, c=2');
    const moved = await s.send(`${base}/moved`, {}, '{}', signal);
    assert.equal(moved.status, 302);
    assert.equal(moved.headers?.location, '/ok');
    assert.equal(moved.body, '');
    await s.close();
  });

  it('a refused connection, a bad URL and a bad header are failed attempts, not exceptions', async () => {
    const s = sender();
    const signal = new AbortController().signal;
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await s.send(`http://127.0.0.1:${port}/`, {}, '{}', signal);
    assert.equal(refused.status, null);
    assert.match(refused.error ?? '', /ECONNREFUSED/);
    const badUrl = await s.send('not a url', {}, '{}', signal);
    assert.equal(badUrl.status, null);
    assert.ok(badUrl.error);
    const badHeader = await s.send(`${base}/ok`, { 'x-bad': 'a\r\nb' }, '{}', signal);
    assert.equal(badHeader.status, null);
    assert.ok(badHeader.error);
    await s.close();
  });

  it('a request still waiting for a connection at its timeout ends then, and is never sent', async () => {
    const s = createSender({
      timeoutMs: 200,
      maxResponseBytes: 1024,
      allowPrivateNetworks: true,
      connectionsPerOrigin: 1,
    });
    const signal = new AbortController().signal;
    const before = arrived.length;
    const started = performance.now();
    const [first, queued] = await Promise.all([
      s.send(`${base}/hang`, {}, '{}', signal),
      s.send(`${base}/queued`, {}, '{}', signal),
    ]);
    assert.ok(performance.now() - started < 1_000, 'both end at the timeout');
    assert.match(first.error ?? '', /^timeout/);
    assert.match(queued.error ?? '', /^timeout/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(arrived.slice(before), ['/hang'], 'the queued request never reached the server');
    await s.close();
  });

  it("aborting the caller's signal ends every request in flight at once, not as a timeout", async () => {
    const s = sender();
    const stop = new AbortController();
    const started = performance.now();
    const pending = [1, 2, 3].map(() => s.send(`${base}/hang`, {}, '{}', stop.signal));
    setTimeout(() => stop.abort(), 50);
    const results = await Promise.all(pending);
    assert.ok(performance.now() - started < 250, 'before the timeout');
    for (const result of results) {
      assert.equal(result.status, null);
      assert.doesNotMatch(result.error ?? '', /^timeout/);
    }
    const late = await s.send(`${base}/ok`, {}, '{}', stop.signal);
    assert.equal(late.status, null, 'a request after the abort is not sent');
    await s.close();
  });
});
