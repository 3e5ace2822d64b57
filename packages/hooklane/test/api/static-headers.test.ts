import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import {
  type ApiResponse,
  eventually,
  startTestServer,
  TEST_BACKEND,
  type TestServer,
} from '../helpers/hooklane.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';

/** What a masked header value reads as, everywhere. */
const MASK = '[hidden]';
const CREDENTIAL = `Bearer receiver-credential-${randomBytes(8).toString('hex')}`;
const TENANT = `tenant-${randomBytes(8).toString('hex')}`;
const SEALED = /^v1\.[0-9a-f]{8}\./;

const flowEvent = () => ({
  id: `evt-${randomBytes(6).toString('hex')}`,
  name: 'appcues:flow_completed',
  user_id: 'u1',
  attributes: { flowId: 'f1' },
});

function ok<T>(response: ApiResponse<T>, status = 200): ApiResponse<T> {
  assert.equal(response.status, status, JSON.stringify(response.body));
  return response;
}

/**
 * A statement on the server's database from outside Hooklane, as an operator (or an older
 * version) would run it. On SQLite the server must be stopped: it holds the file exclusively.
 */
async function rawSql(
  env: Readonly<Record<string, string>>,
  sql: string,
  params: readonly (string | number)[] = [],
): Promise<Record<string, unknown>[]> {
  if (TEST_BACKEND === 'sqlite') {
    const db = new DatabaseSync(join(env.HOOKLANE_DATA_DIR as string, 'hooklane.db'));
    try {
      return db.prepare(sql).all(...(params as SQLInputValue[])) as Record<string, unknown>[];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    let n = 0;
    return (
      await client.query(
        sql.replace(/\?/g, () => `$${++n}`),
        [...params],
      )
    ).rows;
  } finally {
    await client.end();
  }
}

const storedHeaders = async (env: Readonly<Record<string, string>>, webhookId: string) => {
  const [row] = await rawSql(env, 'SELECT headers FROM webhooks WHERE id = ?', [webhookId]);
  assert.ok(row, `webhook ${webhookId} is stored`);
  return { text: String(row.headers), headers: JSON.parse(String(row.headers)) as Record<string, string> };
};

/** A data dir of the test's own, so that servers can be stopped and started on the same data. */
function ownDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hooklane-headers-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('static header values are secrets: masked for viewers and in attempt logs', () => {
  let server: TestServer;
  let receiver: Receiver;
  let acc: string;
  let adminKey: string;
  let viewerKey: string;
  let webhookId: string;

  before(async () => {
    server = await startTestServer();
    receiver = await startReceiver();
    ({ id: acc, adminKey } = await server.account());
    viewerKey = ok(
      await server.api('POST', `/v1/accounts/${acc}/keys`, { key: adminKey, body: { role: 'viewer' } }),
      201,
    ).body.key;
    webhookId = ok(
      await server.api('POST', `/v1/accounts/${acc}/webhooks`, {
        key: adminKey,
        body: {
          name: 'with credentials',
          url: `${receiver.url}/hook`,
          events: ['*'],
          headers: { Authorization: CREDENTIAL, 'x-tenant': TENANT },
        },
      }),
      201,
    ).body.id;
  });
  after(() => Promise.all([server?.close(), receiver?.close()]));

  const noValueIn = (response: ApiResponse) => {
    const text = JSON.stringify(response.body);
    assert.ok(!text.includes(CREDENTIAL) && !text.includes(TENANT), `a value shows: ${text}`);
  };

  test('a viewer sees the names with masked values, in the webhook and in the list', async () => {
    const one = ok(await server.api('GET', `/v1/accounts/${acc}/webhooks/${webhookId}`, { key: viewerKey }));
    assert.deepEqual(one.body.headers, { authorization: MASK, 'x-tenant': MASK });
    noValueIn(one);
    const list = ok(await server.api('GET', `/v1/accounts/${acc}/webhooks`, { key: viewerKey }));
    const listed = list.body.data.find((webhook: { id: string }) => webhook.id === webhookId);
    assert.deepEqual(listed.headers, { authorization: MASK, 'x-tenant': MASK });
    noValueIn(list);
  });

  test('an admin and the root key see the values', async () => {
    const expected = { authorization: CREDENTIAL, 'x-tenant': TENANT };
    for (const key of [adminKey, server.rootKey]) {
      const one = ok(await server.api('GET', `/v1/accounts/${acc}/webhooks/${webhookId}`, { key }));
      assert.deepEqual(one.body.headers, expected);
      const list = ok(await server.api('GET', `/v1/accounts/${acc}/webhooks`, { key }));
      assert.deepEqual(list.body.data.find((w: { id: string }) => w.id === webhookId).headers, expected);
    }
    const patched = ok(
      await server.api('PATCH', `/v1/accounts/${acc}/webhooks/${webhookId}`, {
        key: adminKey,
        body: { name: 'renamed' },
      }),
    );
    assert.deepEqual(patched.body.headers, expected);
  });

  test('the receiver gets the real values; the attempt log masks them for every role', async () => {
    const before = receiver.requests.length;
    ok(await server.api('POST', `/v1/accounts/${acc}/events`, { key: adminKey, body: flowEvent() }), 202);
    const [request] = (await receiver.waitFor(before + 1)).slice(before);
    assert.equal(request?.headers.authorization, CREDENTIAL);
    assert.equal(request?.headers['x-tenant'], TENANT);

    const deliveryId = await eventually(async () => {
      const list = await server.api('GET', `/v1/accounts/${acc}/deliveries?webhook_id=${webhookId}`, {
        key: adminKey,
      });
      const done = list.body.data.find((d: { attempt_count: number }) => d.attempt_count > 0);
      return done?.id as string | undefined;
    });
    for (const key of [viewerKey, adminKey, server.rootKey]) {
      const detail = ok(await server.api('GET', `/v1/accounts/${acc}/deliveries/${deliveryId}`, { key }));
      const headers = detail.body.attempts[0].request.headers;
      assert.equal(headers.authorization, MASK);
      assert.equal(headers['x-tenant'], MASK);
      // Hooklane's own headers stay readable, signatures shortened as before.
      assert.equal(headers['content-type'], 'application/json');
      assert.equal(headers['webhook-id'], deliveryId);
      assert.match(headers['webhook-signature'], /^v1,.{9}…$/);
      noValueIn(detail);
    }
  });
});

describe('static header values are encrypted at rest', () => {
  test('a stored value is sealed, and one stored in clear before is sealed at the next start', async () => {
    const receiver = await startReceiver();
    after(() => receiver.close());
    const dataDir = ownDataDir();
    let server = await startTestServer({ HOOKLANE_DATA_DIR: dataDir });
    const { id: acc, adminKey } = await server.account();
    const created = ok(
      await server.api('POST', `/v1/accounts/${acc}/webhooks`, {
        key: adminKey,
        body: {
          name: 'sealed',
          url: `${receiver.url}/hook`,
          events: ['*'],
          headers: { authorization: CREDENTIAL },
        },
      }),
      201,
    ).body;
    const legacy = ok(
      await server.api('POST', `/v1/accounts/${acc}/webhooks`, {
        key: adminKey,
        body: { name: 'legacy', url: `${receiver.url}/legacy`, events: ['*'] },
      }),
      201,
    ).body;
    const env = server.env;
    await server.close();

    const stored = await storedHeaders(env, created.id);
    assert.deepEqual(Object.keys(stored.headers), ['authorization']);
    assert.match(stored.headers.authorization as string, SEALED);
    assert.ok(!stored.text.includes(CREDENTIAL), stored.text);

    // A row as versions before sealing wrote it: the values in clear.
    await rawSql(env, 'UPDATE webhooks SET headers = ? WHERE id = ?', [
      JSON.stringify({ authorization: `${CREDENTIAL}-legacy`, 'x-tenant': TENANT }),
      legacy.id,
    ]);
    server = await startTestServer(env);
    try {
      const shown = ok(
        await server.api('GET', `/v1/accounts/${acc}/webhooks/${legacy.id}`, { key: adminKey }),
      );
      assert.deepEqual(shown.body.headers, { authorization: `${CREDENTIAL}-legacy`, 'x-tenant': TENANT });
      ok(await server.api('POST', `/v1/accounts/${acc}/events`, { key: adminKey, body: flowEvent() }), 202);
      const requests = await receiver.waitFor(2);
      const byPath = Object.fromEntries(requests.map((r) => [r.path, r.headers]));
      assert.equal(byPath['/hook']?.authorization, CREDENTIAL);
      assert.equal(byPath['/legacy']?.authorization, `${CREDENTIAL}-legacy`);
      assert.equal(byPath['/legacy']?.['x-tenant'], TENANT);
      if (TEST_BACKEND === 'postgres') {
        // PostgreSQL is shared with running processes: the start has sealed them already.
        const resealed = await storedHeaders(env, legacy.id);
        assert.ok(!resealed.text.includes(CREDENTIAL) && !resealed.text.includes(TENANT), resealed.text);
      }
    } finally {
      await server.close();
    }
    const resealed = await storedHeaders(env, legacy.id);
    assert.deepEqual(Object.keys(resealed.headers).sort(), ['authorization', 'x-tenant']);
    for (const value of Object.values(resealed.headers)) assert.match(value, SEALED);
    assert.ok(!resealed.text.includes(CREDENTIAL) && !resealed.text.includes(TENANT), resealed.text);
  });

  test('rotating HOOKLANE_SECRET_KEY reseals static header values with the new key', async () => {
    const receiver = await startReceiver();
    after(() => receiver.close());
    const dataDir = ownDataDir();
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('base64');
    const keyIdOf = (key: string) =>
      createHash('sha256').update(Buffer.from(key, 'base64')).digest('hex').slice(0, 8);

    let server = await startTestServer({ HOOKLANE_DATA_DIR: dataDir, HOOKLANE_SECRET_KEY: oldKey });
    const { id: acc, adminKey } = await server.account();
    const webhook = ok(
      await server.api('POST', `/v1/accounts/${acc}/webhooks`, {
        key: adminKey,
        body: {
          name: 'rotated',
          url: `${receiver.url}/hook`,
          events: ['*'],
          headers: { authorization: CREDENTIAL },
        },
      }),
      201,
    ).body;
    const env = { ...server.env };
    await server.close();
    assert.equal(
      (await storedHeaders(env, webhook.id)).headers.authorization?.split('.')[1],
      keyIdOf(oldKey),
    );

    server = await startTestServer({
      ...env,
      HOOKLANE_SECRET_KEY: newKey,
      HOOKLANE_SECRET_KEY_PREVIOUS: oldKey,
    });
    await server.close();
    const resealed = await storedHeaders(env, webhook.id);
    assert.equal(resealed.headers.authorization?.split('.')[1], keyIdOf(newKey));
    assert.ok(!resealed.text.includes(CREDENTIAL));

    // The old key is gone for good: the values still open, and still reach the receiver.
    const { HOOKLANE_SECRET_KEY_PREVIOUS: _previous, ...withoutPrevious } = env as Record<string, string>;
    server = await startTestServer({ ...withoutPrevious, HOOKLANE_SECRET_KEY: newKey });
    try {
      const shown = ok(
        await server.api('GET', `/v1/accounts/${acc}/webhooks/${webhook.id}`, { key: adminKey }),
      );
      assert.equal(shown.body.headers.authorization, CREDENTIAL);
      ok(await server.api('POST', `/v1/accounts/${acc}/events`, { key: adminKey, body: flowEvent() }), 202);
      const [request] = await receiver.waitFor(1);
      assert.equal(request?.headers.authorization, CREDENTIAL);
    } finally {
      await server.close();
    }
  });
});

describe('attempts logged before values were masked in the log', () => {
  test('a viewer never sees their values, and the upgrade masks them in the database', async () => {
    const receiver = await startReceiver();
    after(() => receiver.close());
    const dataDir = ownDataDir();
    let server = await startTestServer({ HOOKLANE_DATA_DIR: dataDir });
    const { id: acc, adminKey } = await server.account();
    const viewerKey = ok(
      await server.api('POST', `/v1/accounts/${acc}/keys`, { key: adminKey, body: { role: 'viewer' } }),
      201,
    ).body.key;
    ok(
      await server.api('POST', `/v1/accounts/${acc}/webhooks`, {
        key: adminKey,
        body: {
          name: 'logged',
          url: `${receiver.url}/hook`,
          events: ['*'],
          headers: { authorization: CREDENTIAL },
        },
      }),
      201,
    );
    ok(await server.api('POST', `/v1/accounts/${acc}/events`, { key: adminKey, body: flowEvent() }), 202);
    const deliveryId = await eventually(async () => {
      const list = await server.api('GET', `/v1/accounts/${acc}/deliveries`, { key: adminKey });
      return list.body.data.find((d: { attempt_count: number }) => d.attempt_count > 0)?.id as
        | string
        | undefined;
    });
    const env = server.env;
    await server.close();

    // The attempt as versions before masking logged it: the static value in clear.
    const [row] = await rawSql(env, 'SELECT id, request_headers FROM attempts WHERE delivery_id = ?', [
      deliveryId,
    ]);
    assert.ok(row);
    const logged = JSON.parse(String(row.request_headers)) as Record<string, string>;
    assert.equal(logged.authorization, MASK);
    await rawSql(env, 'UPDATE attempts SET request_headers = ? WHERE id = ?', [
      JSON.stringify({ ...logged, authorization: CREDENTIAL }),
      String(row.id),
    ]);

    server = await startTestServer(env);
    try {
      const detail = ok(
        await server.api('GET', `/v1/accounts/${acc}/deliveries/${deliveryId}`, { key: viewerKey }),
      );
      assert.equal(detail.body.attempts[0].request.headers.authorization, MASK);
      assert.equal(detail.body.attempts[0].request.headers['webhook-id'], deliveryId);
      assert.ok(!JSON.stringify(detail.body).includes(CREDENTIAL));
    } finally {
      await server.close();
    }

    // A store as a release before the masking migration left it: that start masks the log.
    await rawSql(env, "DELETE FROM schema_migrations WHERE name LIKE '%mask-static-header-values%'");
    server = await startTestServer(env);
    await server.close();
    const [masked] = await rawSql(env, 'SELECT request_headers FROM attempts WHERE id = ?', [String(row.id)]);
    assert.ok(
      masked && !String(masked.request_headers).includes(CREDENTIAL),
      String(masked?.request_headers),
    );
    assert.deepEqual(JSON.parse(String(masked.request_headers)), logged);
  });
});

describe('headers a webhook cannot send are refused', () => {
  let server: TestServer;
  let acc: string;
  let adminKey: string;
  let webhookId: string;
  let url: string;

  before(async () => {
    server = await startTestServer();
    ({ id: acc, adminKey } = await server.account());
    url = 'http://127.0.0.1:9/hook';
    webhookId = ok(
      await server.api('POST', `/v1/accounts/${acc}/webhooks`, {
        key: adminKey,
        body: { name: 'existing', url, events: ['*'], headers: { 'x-team': 'a' } },
      }),
      201,
    ).body.id;
  });
  after(() => server?.close());

  const refused = async (headers: Record<string, string>, named: string) => {
    const count = (await server.api('GET', `/v1/accounts/${acc}/webhooks`, { key: adminKey })).body.data
      .length;
    const before = ok(
      await server.api('GET', `/v1/accounts/${acc}/webhooks/${webhookId}`, { key: adminKey }),
    ).body;
    const attempts = [
      await server.api('POST', `/v1/accounts/${acc}/webhooks`, {
        key: adminKey,
        body: { name: 'refused', url, events: ['*'], headers },
      }),
      await server.api('PATCH', `/v1/accounts/${acc}/webhooks/${webhookId}`, {
        key: adminKey,
        body: { headers },
      }),
    ];
    for (const response of attempts) {
      assert.equal(response.status, 400, `${JSON.stringify(headers)}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.code, 'validation_failed');
      assert.ok(
        response.body.error.message.includes(named),
        `${JSON.stringify(headers)}: the message does not name ${named}: ${response.body.error.message}`,
      );
    }
    const after = ok(
      await server.api('GET', `/v1/accounts/${acc}/webhooks/${webhookId}`, { key: adminKey }),
    ).body;
    assert.deepEqual(after, before);
    assert.equal(
      (await server.api('GET', `/v1/accounts/${acc}/webhooks`, { key: adminKey })).body.data.length,
      count,
    );
  };

  test('hop-by-hop, transport and signature headers, naming the header', async () => {
    for (const name of [
      'Expect',
      'Upgrade',
      'Connection',
      'Host',
      'Transfer-Encoding',
      'webhook-signature',
      'Keep-Alive',
      'Proxy-Connection',
      'TE',
      'Trailer',
      'Content-Length',
      'Content-Type',
      'User-Agent',
      'webhook-id',
      'webhook-timestamp',
      'X-Apc-Signature',
      'x-apc-timestamp',
    ]) {
      await refused({ 'x-fine': 'yes', [name]: name === 'Expect' ? '100-continue' : 'x' }, `"${name}"`);
    }
  });

  test('names and values that are not valid HTTP, and a name given twice', async () => {
    await refused({ 'bad name': 'x' }, 'bad name');
    await refused({ 'x-line': 'a\r\nx-injected: 1' }, '"x-line"');
    // NUL is refused by the body parser, before the header policy, at the header's JSON path.
    await refused({ 'x-nul': 'a\u0000b' }, 'body/headers/x-nul');
    await refused({ 'X-Team': 'a', 'x-team': 'b' }, 'x-team');
  });

  test('an allowed header still saves', async () => {
    const saved = ok(
      await server.api('PATCH', `/v1/accounts/${acc}/webhooks/${webhookId}`, {
        key: adminKey,
        body: { headers: { Authorization: 'Bearer x', 'X-Team': 'b' } },
      }),
    ).body;
    assert.deepEqual(saved.headers, { authorization: 'Bearer x', 'x-team': 'b' });
  });
});
