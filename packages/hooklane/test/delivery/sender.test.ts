// The sender against a real node:http server on 127.0.0.1 that answers, or never does.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createSender } from '../../src/delivery/sender.ts';

describe('sender', () => {
  let server: http.Server;
  let base = '';
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      req.resume();
      req.on('end', () => res.writeHead(204).end());
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
