import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/hooklane.ts';

// GET /v1/me (who a key is), POST /v1/root-key/rotate, and how a refused role is named.

describe('GET /v1/me', () => {
  let server: TestServer;
  let account: { id: string; adminKey: string };
  const keys: Record<string, { id: string; key: string }> = {};

  before(async () => {
    server = await startTestServer();
    account = await server.account();
    for (const role of ['viewer', 'ingest'] as const) {
      const created = await server.api('POST', `/v1/accounts/${account.id}/keys`, {
        body: { role, name: `${role} key` },
      });
      assert.equal(created.status, 201);
      keys[role] = { id: created.body.id, key: created.body.key };
    }
  });
  after(() => server.close());

  test('names the calling key, its role and its account, for every role', async () => {
    const root = await server.api('GET', '/v1/me');
    assert.equal(root.status, 200);
    assert.deepEqual(root.body, { key_id: 'root', role: 'root', account_id: null, name: null });

    const admin = await server.api('GET', '/v1/me', { key: account.adminKey });
    assert.equal(admin.status, 200);
    assert.equal(admin.body.role, 'admin');
    assert.equal(admin.body.account_id, account.id);
    assert.match(admin.body.key_id, /^key_/);

    for (const role of ['viewer', 'ingest'] as const) {
      const me = await server.api('GET', '/v1/me', { key: keys[role]?.key ?? '' });
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.deepEqual(me.body, {
        key_id: keys[role]?.id,
        role,
        account_id: account.id,
        name: `${role} key`,
      });
    }
  });

  test('needs a valid key, and is in the OpenAPI document', async () => {
    const none = await server.api('GET', '/v1/me', { key: null });
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'unauthorized');
    const wrong = await server.api('GET', '/v1/me', { key: 'hlk_not_a_real_key_1234' });
    assert.equal(wrong.status, 401);

    const document = (await server.api('GET', '/openapi.json', { key: null })).body;
    const me = document.paths['/v1/me']?.get;
    assert.ok(me, 'GET /v1/me is documented');
    assert.deepEqual(Object.keys(me.responses['200'].content['application/json'].schema.properties).sort(), [
      'account_id',
      'key_id',
      'name',
      'role',
    ]);
    assert.ok(document.paths['/v1/root-key/rotate']?.post, 'POST /v1/root-key/rotate is documented');
  });

  test('a refused role is named with the right article', async () => {
    const ingest = await server.api('GET', `/v1/accounts/${account.id}/webhooks`, {
      key: keys.ingest?.key ?? '',
    });
    assert.equal(ingest.status, 403);
    assert.equal(ingest.body.error.message, 'An ingest key cannot do this; it needs an admin or viewer key.');
    const viewer = await server.api('POST', `/v1/accounts/${account.id}/events`, {
      key: keys.viewer?.key ?? '',
      body: { name: 'custom', user_id: 'u1' },
    });
    assert.equal(viewer.status, 403);
    assert.equal(viewer.body.error.message, 'A viewer key cannot do this; it needs an admin or ingest key.');
    const admin = await server.api('POST', '/v1/accounts', { key: account.adminKey, body: { name: 'x' } });
    assert.equal(admin.status, 403);
    assert.equal(admin.body.error.message, 'An admin key cannot do this; it needs the root key.');
  });
});

describe('POST /v1/root-key/rotate', () => {
  test('answers a new root key once; the old one is refused at once, the new one works', async () => {
    // An empty HOOKLANE_ROOT_KEY counts as unset: the server generates its root key.
    const server = await startTestServer({ HOOKLANE_ROOT_KEY: '' });
    try {
      const old = server.hooklane.generatedRootKey ?? '';
      assert.match(old, /^hlr_/);
      const account = await server.api('POST', '/v1/accounts', { key: old, body: { name: 'Acme' } });
      assert.equal(account.status, 201);
      const admin = await server.api('POST', `/v1/accounts/${account.body.id}/keys`, {
        key: old,
        body: { role: 'admin' },
      });

      const refused = await server.api('POST', '/v1/root-key/rotate', { key: admin.body.key });
      assert.equal(refused.status, 403);

      const rotated = await server.api('POST', '/v1/root-key/rotate', { key: old });
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      assert.deepEqual(Object.keys(rotated.body), ['key']);
      const key = rotated.body.key as string;
      assert.match(key, /^hlr_/);
      assert.notEqual(key, old);

      assert.equal((await server.api('GET', '/v1/me', { key: old })).status, 401);
      assert.equal((await server.api('POST', '/v1/root-key/rotate', { key: old })).status, 401);
      const me = await server.api('GET', '/v1/me', { key });
      assert.equal(me.status, 200);
      assert.equal(me.body.role, 'root');
      assert.equal(
        (await server.api('POST', '/v1/accounts', { key, body: { name: 'Globex' } })).status,
        201,
        'the new key manages accounts',
      );
      // Account keys are untouched.
      assert.equal((await server.api('GET', '/v1/me', { key: admin.body.key })).status, 200);
    } finally {
      await server.close();
    }
  });

  test('a root key set by HOOKLANE_ROOT_KEY is changed there: 409', async () => {
    const server = await startTestServer();
    try {
      const refused = await server.api('POST', '/v1/root-key/rotate');
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, 'conflict');
      assert.match(refused.body.error.message, /HOOKLANE_ROOT_KEY/);
      assert.equal((await server.api('GET', '/v1/me')).status, 200, 'the configured key still works');
    } finally {
      await server.close();
    }
  });
});
