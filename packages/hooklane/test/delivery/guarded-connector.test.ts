// Real undici Agents against a real node:http server on 127.0.0.1. No traffic ever leaves
// loopback: public addresses only appear in injected lookup answers that get refused before
// any socket is opened.
import assert from 'node:assert/strict';
import type dns from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import tls from 'node:tls';
import { Agent, request } from 'undici';
import { BlockedAddressError, createGuardedConnector } from '../../src/delivery/guarded-connector.ts';

type LookupCall = { hostname: string; options: unknown };

/** A fake dns.lookup that answers from a fixed list and records its calls. */
function fakeLookup(answers: dns.LookupAddress[] | Error | 'hang', calls: LookupCall[] = []) {
  const fn = (
    hostname: string,
    options: unknown,
    cb: (err: Error | null, res?: dns.LookupAddress[]) => void,
  ) => {
    calls.push({ hostname, options });
    if (answers === 'hang') return;
    // Answer asynchronously, like the real resolver.
    setImmediate(() => (answers instanceof Error ? cb(answers) : cb(null, answers)));
  };
  return fn as unknown as typeof dns.lookup;
}

/** A lookup that must never be called (IP literals are judged without DNS). */
const forbiddenLookup = ((hostname: string) => {
  throw new Error(`lookup must not be called (got ${hostname})`);
}) as unknown as typeof dns.lookup;

describe('createGuardedConnector', () => {
  let server: http.Server;
  let port = 0;
  let requests: Array<{ host: string | undefined; url: string | undefined }> = [];
  let connections = 0;
  const agents: Agent[] = [];

  function agent(opts: Parameters<typeof createGuardedConnector>[0]): Agent {
    const a = new Agent({ connect: createGuardedConnector(opts) });
    agents.push(a);
    return a;
  }

  before(async () => {
    server = http.createServer((req, res) => {
      requests.push({ host: req.headers.host, url: req.url });
      res.end('ok');
    });
    server.on('connection', () => {
      connections += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  beforeEach(() => {
    requests = [];
    connections = 0;
  });

  after(async () => {
    await Promise.all(agents.map((a) => a.close()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function assertBlocked(promise: Promise<unknown>, address: string, hostname: string): Promise<void> {
    await assert.rejects(promise, (err: unknown) => {
      assert.ok(err instanceof BlockedAddressError, `expected BlockedAddressError, got ${String(err)}`);
      assert.equal(err.code, 'ERR_HOOKLANE_BLOCKED_ADDRESS');
      assert.equal(err.address, address);
      assert.equal(err.hostname, hostname);
      assert.match(err.message, /HOOKLANE_ALLOW_PRIVATE_NETWORKS=true/);
      return true;
    });
    assert.equal(requests.length, 0, 'the server must not receive a request');
    assert.equal(connections, 0, 'the server must not even see a connection');
  }

  it('refuses an IP-literal loopback target without a DNS lookup', async () => {
    const dispatcher = agent({ allowPrivateNetworks: false, lookup: forbiddenLookup });
    await assertBlocked(request(`http://127.0.0.1:${port}/hook`, { dispatcher }), '127.0.0.1', '127.0.0.1');
  });

  it('refuses a bracketed IPv6 loopback literal without a DNS lookup', async () => {
    const dispatcher = agent({ allowPrivateNetworks: false, lookup: forbiddenLookup });
    await assertBlocked(request(`http://[::1]:${port}/hook`, { dispatcher }), '::1', '::1');
  });

  it('refuses a hostname that resolves to 127.0.0.1 (DNS rebinding)', async () => {
    const calls: LookupCall[] = [];
    const lookup = fakeLookup([{ address: '127.0.0.1', family: 4 }], calls);
    const dispatcher = agent({ allowPrivateNetworks: false, lookup });
    await assertBlocked(
      request(`http://rebind.test:${port}/hook`, { dispatcher }),
      '127.0.0.1',
      'rebind.test',
    );
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.hostname, 'rebind.test');
    assert.deepEqual(calls[0]?.options, { all: true });
  });

  it('refuses when ANY resolved address is private, even if the first is public', async () => {
    const lookup = fakeLookup([
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ]);
    const dispatcher = agent({ allowPrivateNetworks: false, lookup });
    await assertBlocked(request(`http://rebind.test:${port}/`, { dispatcher }), '127.0.0.1', 'rebind.test');
  });

  it('refuses IPv4-mapped and link-local answers', async () => {
    const mapped = agent({
      allowPrivateNetworks: false,
      lookup: fakeLookup([{ address: '::ffff:127.0.0.1', family: 6 }]),
    });
    await assertBlocked(
      request(`http://rebind.test:${port}/`, { dispatcher: mapped }),
      '::ffff:127.0.0.1',
      'rebind.test',
    );
    const metadata = agent({
      allowPrivateNetworks: false,
      lookup: fakeLookup([{ address: '169.254.169.254', family: 4 }]),
    });
    await assertBlocked(
      request('http://metadata.test/latest/meta-data/', { dispatcher: metadata }),
      '169.254.169.254',
      'metadata.test',
    );
  });

  it('passes DNS errors through to the request', async () => {
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), { code: 'ENOTFOUND' });
    const dispatcher = agent({ allowPrivateNetworks: false, lookup: fakeLookup(notFound) });
    await assert.rejects(request(`http://nowhere.test:${port}/`, { dispatcher }), { code: 'ENOTFOUND' });
  });

  it('treats an empty answer as ENOTFOUND', async () => {
    const dispatcher = agent({ allowPrivateNetworks: false, lookup: fakeLookup([]) });
    await assert.rejects(request(`http://empty.test:${port}/`, { dispatcher }), { code: 'ENOTFOUND' });
  });

  it('times out a DNS lookup that never answers', async () => {
    const dispatcher = agent({
      allowPrivateNetworks: false,
      connectTimeoutMs: 50,
      lookup: fakeLookup('hang'),
    });
    await assert.rejects(request(`http://slow.test:${port}/`, { dispatcher }), {
      code: 'UND_ERR_CONNECT_TIMEOUT',
    });
  });

  it('does not crash when the lookup throws synchronously', async () => {
    const throwing = (() => {
      throw new TypeError('boom');
    }) as unknown as typeof dns.lookup;
    const dispatcher = agent({ allowPrivateNetworks: false, lookup: throwing });
    await assert.rejects(request(`http://throws.test:${port}/`, { dispatcher }), { message: 'boom' });
  });

  it('with allowPrivateNetworks, connects to the resolved address and keeps the connection alive', async () => {
    const calls: LookupCall[] = [];
    const lookup = fakeLookup([{ address: '127.0.0.1', family: 4 }], calls);
    const dispatcher = agent({ allowPrivateNetworks: true, lookup });

    for (const path of ['/one', '/two']) {
      const res = await request(`http://rebind.test:${port}${path}`, {
        dispatcher,
        method: 'POST',
        body: '{}',
      });
      assert.equal(res.statusCode, 200);
      assert.equal(await res.body.text(), 'ok');
      // undici marks the request complete a tick after the body stream ends; dispatching before
      // that makes the Pool see a busy client and open a second socket, which is not what we test.
      await new Promise((resolve) => setImmediate(resolve));
    }

    // The Host header keeps the original name even though we dialled the IP.
    assert.deepEqual(requests, [
      { host: `rebind.test:${port}`, url: '/one' },
      { host: `rebind.test:${port}`, url: '/two' },
    ]);
    assert.equal(connections, 1, 'the second request must reuse the kept-alive socket');
    assert.equal(calls.length, 1, 'a reused socket needs no new lookup');
  });

  it('with allowPrivateNetworks, connects to an IP literal without a lookup', async () => {
    const dispatcher = agent({ allowPrivateNetworks: true, lookup: forbiddenLookup });
    const res = await request(`http://127.0.0.1:${port}/literal`, { dispatcher });
    assert.equal(res.statusCode, 200);
    await res.body.text();
    assert.equal(requests.length, 1);
  });

  it('sends the original hostname as TLS SNI while dialling the resolved IP', async () => {
    const seen: string[] = [];
    // No certificate needed: we only want the ClientHello's server_name, then abort.
    const tlsServer = tls.createServer({
      SNICallback: (servername, cb) => {
        seen.push(servername);
        cb(new Error('test server: handshake intentionally aborted'));
      },
    });
    tlsServer.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const tlsPort = (tlsServer.address() as AddressInfo).port;
    try {
      const dispatcher = agent({
        allowPrivateNetworks: true,
        lookup: fakeLookup([{ address: '127.0.0.1', family: 4 }]),
      });
      await assert.rejects(request(`https://sni.test.:${tlsPort}/`, { dispatcher }));
      assert.deepEqual(seen, ['sni.test']);
    } finally {
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    }
  });
});
