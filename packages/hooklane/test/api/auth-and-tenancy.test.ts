import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ApiResponse, eventually, startTestServer, type TestServer } from '../helpers/hooklane.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';

/** Every error answer is `{"error": {"code", "message"}}` with the expected status and code. */
function assertError(response: ApiResponse, status: number, code?: string): void {
  assert.equal(
    response.status,
    status,
    `expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`,
  );
  assert.equal(typeof response.body, 'object');
  assert.ok(response.body !== null && typeof response.body.error === 'object', JSON.stringify(response.body));
  assert.equal(typeof response.body.error.code, 'string');
  assert.equal(typeof response.body.error.message, 'string');
  assert.ok(response.body.error.message.length > 0);
  if (code !== undefined) assert.equal(response.body.error.code, code);
}

const flowEvent = (userId = 'u1') => ({
  name: 'appcues:flow_started',
  user_id: userId,
  attributes: { flowId: 'f1' },
});

interface Tenant {
  readonly id: string;
  readonly adminKey: string;
  readonly viewerKey: string;
  readonly ingestKey: string;
  readonly webhookId: string;
  readonly deliveryId: string;
  readonly viewerKeyId: string;
}

describe('authentication, roles and tenancy', () => {
  let server: TestServer;
  let receiver: Receiver;
  let a: Tenant;
  let b: Tenant;

  const makeKey = async (acc: string, adminKey: string, role: string) => {
    const created = await server.api('POST', `/v1/accounts/${acc}/keys`, {
      key: adminKey,
      body: { role, name: role },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body as { id: string; key: string };
  };

  const makeTenant = async (): Promise<Tenant> => {
    const { id, adminKey } = await server.account();
    const viewer = await makeKey(id, adminKey, 'viewer');
    const ingest = await makeKey(id, adminKey, 'ingest');
    const webhook = await server.api('POST', `/v1/accounts/${id}/webhooks`, {
      key: adminKey,
      body: { name: 'all', url: `${receiver.url}/${id}`, events: ['*'] },
    });
    assert.equal(webhook.status, 201);
    const sent = await server.api('POST', `/v1/accounts/${id}/events`, { key: adminKey, body: flowEvent() });
    assert.equal(sent.status, 202);
    const deliveryId = await eventually(async () => {
      const list = await server.api('GET', `/v1/accounts/${id}/deliveries`, { key: adminKey });
      return list.body.data[0]?.id as string | undefined;
    });
    return {
      id,
      adminKey,
      viewerKey: viewer.key,
      viewerKeyId: viewer.id,
      ingestKey: ingest.key,
      webhookId: webhook.body.id,
      deliveryId,
    };
  };

  before(async () => {
    server = await startTestServer();
    receiver = await startReceiver();
    a = await makeTenant();
    b = await makeTenant();
  });
  after(() => Promise.all([server?.close(), receiver?.close()]));

  describe('401', () => {
    test('without a key, with a malformed header, with a wrong key', async () => {
      const path = `/v1/accounts/${a.id}/webhooks`;
      assertError(await server.api('GET', path, { key: null }), 401, 'unauthorized');
      assertError(
        await server.api('GET', path, { key: null, headers: { authorization: 'Basic dXNlcjpwYXNz' } }),
        401,
      );
      assertError(await server.api('GET', path, { key: null, headers: { authorization: 'Bearer' } }), 401);
      assertError(
        await server.api('GET', path, { key: 'hlk_thisisnotarealkeyatallxxxxxxxxxxxxxxxxxx' }),
        401,
        'unauthorized',
      );
      assertError(await server.api('GET', path, { key: `${a.adminKey}x` }), 401, 'unauthorized');
      assertError(
        await server.api('POST', '/v1/accounts', { key: null, body: { name: 'x' } }),
        401,
        'unauthorized',
      );
      assertError(
        await server.api('POST', `/v1/accounts/${a.id}/events`, { key: null, body: flowEvent() }),
        401,
      );
    });

    test('with a revoked key', async () => {
      const key = await makeKey(a.id, a.adminKey, 'admin');
      const path = `/v1/accounts/${a.id}/webhooks`;
      assert.equal((await server.api('GET', path, { key: key.key })).status, 200);
      assert.equal(
        (await server.api('DELETE', `/v1/accounts/${a.id}/keys/${key.id}`, { key: a.adminKey })).status,
        204,
      );
      assertError(await server.api('GET', path, { key: key.key }), 401, 'unauthorized');
      assertError(
        await server.api('POST', `/v1/accounts/${a.id}/events`, { key: key.key, body: flowEvent() }),
        401,
      );
    });
  });

  describe('accounts', () => {
    test('the root key creates accounts; account keys cannot (403)', async () => {
      const created = await server.api('POST', '/v1/accounts', { body: { name: 'Acme' } });
      assert.equal(created.status, 201);
      assert.equal(created.body.name, 'Acme');
      assert.equal(typeof created.body.id, 'string');
      for (const key of [a.adminKey, a.viewerKey, a.ingestKey]) {
        assertError(
          await server.api('POST', '/v1/accounts', { key, body: { name: 'nope' } }),
          403,
          'forbidden',
        );
      }
    });

    test('the root key can create a key for any account', async () => {
      const created = await server.api('POST', `/v1/accounts/${b.id}/keys`, { body: { role: 'viewer' } });
      assert.equal(created.status, 201);
      assert.equal(
        (await server.api('GET', `/v1/accounts/${b.id}/webhooks`, { key: created.body.key })).status,
        200,
      );
      assertError(
        await server.api('POST', '/v1/accounts/acc_doesnotexist/keys', { body: { role: 'admin' } }),
        404,
      );
    });
  });

  describe('admin', () => {
    test('manages webhooks and keys', async () => {
      const base = `/v1/accounts/${a.id}`;
      const created = await server.api('POST', `${base}/webhooks`, {
        key: a.adminKey,
        body: { name: 'admin-made', url: `${receiver.url}/admin`, events: ['flow_completed'] },
      });
      assert.equal(created.status, 201);
      const id = created.body.id;
      assert.equal((await server.api('GET', `${base}/webhooks/${id}`, { key: a.adminKey })).status, 200);
      assert.equal(
        (await server.api('PATCH', `${base}/webhooks/${id}`, { key: a.adminKey, body: { name: 'renamed' } }))
          .status,
        200,
      );
      const secret = await server.api('GET', `${base}/webhooks/${id}/secret`, { key: a.adminKey });
      assert.equal(secret.status, 200);
      assert.match(secret.body.secret, /^whsec_/);
      assert.equal(
        (await server.api('POST', `${base}/webhooks/${id}/rotate-secret`, { key: a.adminKey, body: {} }))
          .status,
        200,
      );
      assert.equal(
        (
          await server.api('POST', `${base}/webhooks/${id}/test`, {
            key: a.adminKey,
            body: { event_type: 'flow_completed' },
          })
        ).status,
        202,
      );
      assert.equal(
        (
          await server.api('POST', `${base}/webhooks/${id}/recover`, {
            key: a.adminKey,
            body: { since: new Date(0).toISOString() },
          })
        ).status,
        202,
      );
      assert.equal(
        (await server.api('POST', `${base}/deliveries/${a.deliveryId}/retry`, { key: a.adminKey })).status,
        202,
      );
      assert.equal((await server.api('DELETE', `${base}/webhooks/${id}`, { key: a.adminKey })).status, 204);
      const key = await makeKey(a.id, a.adminKey, 'viewer');
      assert.equal((await server.api('GET', `${base}/keys`, { key: a.adminKey })).status, 200);
      assert.equal((await server.api('DELETE', `${base}/keys/${key.id}`, { key: a.adminKey })).status, 204);
      assert.equal(
        (await server.api('POST', `${base}/events`, { key: a.adminKey, body: flowEvent() })).status,
        202,
      );
    });
  });

  describe('viewer', () => {
    test('lists and reads webhooks and deliveries, never seeing secrets', async () => {
      const base = `/v1/accounts/${a.id}`;
      const list = await server.api('GET', `${base}/webhooks`, { key: a.viewerKey });
      assert.equal(list.status, 200);
      assert.ok(list.body.data.length >= 1);
      for (const webhook of list.body.data) assert.equal(Object.hasOwn(webhook, 'secret'), false);
      const one = await server.api('GET', `${base}/webhooks/${a.webhookId}`, { key: a.viewerKey });
      assert.equal(one.status, 200);
      assert.equal(one.body.id, a.webhookId);
      assert.equal(Object.hasOwn(one.body, 'secret'), false);
      assert.doesNotMatch(JSON.stringify(one.body), /whsec_/);
      assert.doesNotMatch(JSON.stringify(list.body), /whsec_/);
      const deliveries = await server.api('GET', `${base}/deliveries`, { key: a.viewerKey });
      assert.equal(deliveries.status, 200);
      assert.ok(deliveries.body.data.some((d: { id: string }) => d.id === a.deliveryId));
      const delivery = await server.api('GET', `${base}/deliveries/${a.deliveryId}`, { key: a.viewerKey });
      assert.equal(delivery.status, 200);
      assert.ok(Array.isArray(delivery.body.attempts));
      assert.equal((await server.api('GET', base, { key: a.viewerKey })).status, 200);
    });

    test('gets 403 on every write, on secrets, on keys and on events', async () => {
      const base = `/v1/accounts/${a.id}`;
      const hook = `${base}/webhooks/${a.webhookId}`;
      const refused: [string, string, unknown][] = [
        ['POST', `${base}/webhooks`, { name: 'v', url: `${receiver.url}/v`, events: ['*'] }],
        ['PATCH', hook, { name: 'viewer was here' }],
        ['DELETE', hook, undefined],
        ['GET', `${hook}/secret`, undefined],
        ['POST', `${hook}/rotate-secret`, {}],
        ['POST', `${hook}/test`, { event_type: 'flow_completed' }],
        ['POST', `${hook}/recover`, { since: new Date(0).toISOString() }],
        ['POST', `${base}/deliveries/${a.deliveryId}/retry`, undefined],
        ['GET', `${base}/keys`, undefined],
        ['POST', `${base}/keys`, { role: 'admin' }],
        ['DELETE', `${base}/keys/${a.viewerKeyId}`, undefined],
        ['POST', `${base}/events`, flowEvent()],
        ['GET', `${base}/listen`, undefined],
      ];
      for (const [method, path, body] of refused) {
        const response = await server.api(method, path, { key: a.viewerKey, body });
        assertError(response, 403, 'forbidden');
      }
      // Nothing was changed by the refused calls.
      const webhook = await server.api('GET', hook, { key: a.adminKey });
      assert.equal(webhook.status, 200);
      assert.equal(webhook.body.name, 'all');
      const keys = await server.api('GET', `${base}/keys`, { key: a.adminKey });
      const viewer = keys.body.data.find((k: { id: string }) => k.id === a.viewerKeyId);
      assert.equal(viewer.revoked_at, null);
    });
  });

  describe('ingest', () => {
    test('can only POST events', async () => {
      const base = `/v1/accounts/${a.id}`;
      const sent = await server.api('POST', `${base}/events`, {
        key: a.ingestKey,
        body: flowEvent('ingest-user'),
      });
      assert.equal(sent.status, 202);
      assert.equal(sent.body.ids.length, 1);
      const hook = `${base}/webhooks/${a.webhookId}`;
      const refused: [string, string, unknown][] = [
        ['GET', base, undefined],
        ['GET', `${base}/webhooks`, undefined],
        ['GET', hook, undefined],
        ['POST', `${base}/webhooks`, { name: 'i', url: `${receiver.url}/i`, events: ['*'] }],
        ['PATCH', hook, { name: 'ingest was here' }],
        ['DELETE', hook, undefined],
        ['GET', `${hook}/secret`, undefined],
        ['POST', `${hook}/rotate-secret`, {}],
        ['POST', `${hook}/test`, { event_type: 'flow_completed' }],
        ['POST', `${hook}/recover`, { since: new Date(0).toISOString() }],
        ['GET', `${base}/deliveries`, undefined],
        ['GET', `${base}/deliveries/${a.deliveryId}`, undefined],
        ['POST', `${base}/deliveries/${a.deliveryId}/retry`, undefined],
        ['GET', `${base}/keys`, undefined],
        ['POST', `${base}/keys`, { role: 'admin' }],
        ['GET', `${base}/listen`, undefined],
        ['POST', '/v1/accounts', { name: 'x' }],
      ];
      for (const [method, path, body] of refused) {
        const response = await server.api(method, path, { key: a.ingestKey, body });
        assertError(response, 403, 'forbidden');
      }
    });
  });

  describe('keys', () => {
    test('a key value is shown once, at creation, and never listed', async () => {
      const created = await makeKey(a.id, a.adminKey, 'viewer');
      assert.equal(typeof created.key, 'string');
      assert.ok(created.key.length >= 20);
      const list = await server.api('GET', `/v1/accounts/${a.id}/keys`, { key: a.adminKey });
      assert.equal(list.status, 200);
      assert.ok(Array.isArray(list.body.data));
      const listed = list.body.data.find((k: { id: string }) => k.id === created.id);
      assert.ok(listed, 'the new key is listed');
      assert.equal(Object.hasOwn(listed, 'key'), false);
      assert.equal(listed.role, 'viewer');
      assert.equal(typeof listed.prefix, 'string');
      assert.ok(listed.prefix.length > 0 && listed.prefix.length < created.key.length);
      assert.ok(created.key.startsWith(listed.prefix));
      for (const key of list.body.data) assert.equal(Object.hasOwn(key, 'key'), false);
      const raw = JSON.stringify(list.body);
      for (const value of [created.key, a.adminKey, a.viewerKey, a.ingestKey])
        assert.equal(raw.includes(value), false);
    });
  });

  describe('tenancy', () => {
    test("another account's paths are 404 for every role", async () => {
      const base = `/v1/accounts/${b.id}`;
      const hook = `${base}/webhooks/${b.webhookId}`;
      const calls: [string, string, unknown][] = [
        ['GET', base, undefined],
        ['GET', `${base}/webhooks`, undefined],
        ['POST', `${base}/webhooks`, { name: 'x', url: `${receiver.url}/x`, events: ['*'] }],
        ['GET', hook, undefined],
        ['PATCH', hook, { name: 'hijacked' }],
        ['DELETE', hook, undefined],
        ['GET', `${hook}/secret`, undefined],
        ['POST', `${hook}/rotate-secret`, {}],
        ['POST', `${hook}/test`, { event_type: 'flow_completed' }],
        ['POST', `${hook}/recover`, { since: new Date(0).toISOString() }],
        ['POST', `${base}/events`, flowEvent()],
        ['GET', `${base}/deliveries`, undefined],
        ['GET', `${base}/deliveries/${b.deliveryId}`, undefined],
        ['POST', `${base}/deliveries/${b.deliveryId}/retry`, undefined],
        ['GET', `${base}/keys`, undefined],
        ['POST', `${base}/keys`, { role: 'admin' }],
        ['DELETE', `${base}/keys/${b.viewerKeyId}`, undefined],
        ['GET', `${base}/listen`, undefined],
      ];
      for (const key of [a.adminKey, a.viewerKey, a.ingestKey]) {
        for (const [method, path, body] of calls) {
          const response = await server.api(method, path, { key, body });
          assertError(response, 404, 'not_found');
        }
      }
      // B is untouched.
      const webhook = await server.api('GET', hook, { key: b.adminKey });
      assert.equal(webhook.status, 200);
      assert.equal(webhook.body.name, 'all');
      assert.equal((await server.api('GET', `${base}/webhooks`, { key: b.viewerKey })).status, 200);
    });

    test("another account's object ids under one's own path are 404", async () => {
      const base = `/v1/accounts/${a.id}`;
      const hook = `${base}/webhooks/${b.webhookId}`;
      const calls: [string, string, unknown][] = [
        ['GET', hook, undefined],
        ['PATCH', hook, { name: 'hijacked' }],
        ['GET', `${hook}/secret`, undefined],
        ['POST', `${hook}/rotate-secret`, {}],
        ['POST', `${hook}/test`, { event_type: 'flow_completed' }],
        ['POST', `${hook}/recover`, { since: new Date(0).toISOString() }],
        ['DELETE', hook, undefined],
        ['GET', `${base}/deliveries/${b.deliveryId}`, undefined],
        ['POST', `${base}/deliveries/${b.deliveryId}/retry`, undefined],
        ['DELETE', `${base}/keys/${b.viewerKeyId}`, undefined],
      ];
      for (const [method, path, body] of calls) {
        assertError(await server.api(method, path, { key: a.adminKey, body }), 404, 'not_found');
      }
      // A's listings never show B's objects.
      const webhooks = await server.api('GET', `${base}/webhooks`, { key: a.adminKey });
      assert.ok(webhooks.body.data.every((w: { id: string }) => w.id !== b.webhookId));
      const deliveries = await server.api('GET', `${base}/deliveries?webhook_id=${b.webhookId}`, {
        key: a.adminKey,
      });
      assert.equal(deliveries.status, 200);
      assert.deepEqual(deliveries.body.data, []);
      const byEvent = await server.api('GET', `${base}/deliveries`, { key: a.adminKey });
      assert.ok(byEvent.body.data.every((d: { id: string }) => d.id !== b.deliveryId));
      // B's objects survived, and B's viewer key was not revoked.
      const webhook = await server.api('GET', `/v1/accounts/${b.id}/webhooks/${b.webhookId}`, {
        key: b.adminKey,
      });
      assert.equal(webhook.body.name, 'all');
      assert.equal(
        (await server.api('GET', `/v1/accounts/${b.id}/webhooks`, { key: b.viewerKey })).status,
        200,
      );
    });

    test('the root key reaches every account, and a missing account is 404', async () => {
      assert.equal((await server.api('GET', `/v1/accounts/${a.id}/webhooks/${a.webhookId}`)).status, 200);
      assert.equal((await server.api('GET', `/v1/accounts/${b.id}/webhooks/${b.webhookId}`)).status, 200);
      assertError(
        await server.api('GET', '/v1/accounts/acc_0000000000000000000000000/webhooks'),
        404,
        'not_found',
      );
      assertError(await server.api('GET', `/v1/accounts/${a.id}/webhooks/${b.webhookId}`), 404, 'not_found');
    });
  });

  describe('authentication and authorisation come before the body', () => {
    test('no key with an invalid or oversize body is 401, not 400 or 413', async () => {
      const path = `/v1/accounts/${a.id}/webhooks`;
      assertError(await server.api('POST', path, { key: null, body: '{"name": ' }), 401, 'unauthorized');
      assertError(
        await server.api('POST', path, { key: null, body: '{"unknown": true}' }),
        401,
        'unauthorized',
      );
      assertError(
        await server.api('POST', path, { key: null, body: 'x'.repeat(1_100_000) }),
        401,
        'unauthorized',
      );
      assertError(
        await server.api('POST', path, {
          key: null,
          body: 'plain',
          headers: { 'content-type': 'text/plain' },
        }),
        401,
      );
      assertError(
        await server.api('POST', `/v1/accounts/${a.id}/events`, { key: null, body: '[{' }),
        401,
        'unauthorized',
      );
      assertError(await server.api('POST', '/v1/accounts', { key: null, body: '{' }), 401, 'unauthorized');
    });

    test('a viewer or ingest key with an invalid or oversize body on create webhook is 403', async () => {
      const path = `/v1/accounts/${a.id}/webhooks`;
      for (const key of [a.viewerKey, a.ingestKey]) {
        assertError(await server.api('POST', path, { key, body: '{"name": ' }), 403, 'forbidden');
        assertError(
          await server.api('POST', path, { key, body: { events: 'not-an-array', extra: 1 } }),
          403,
          'forbidden',
        );
        assertError(await server.api('POST', path, { key, body: 'x'.repeat(1_100_000) }), 403, 'forbidden');
        assertError(
          await server.api('POST', path, { key, body: 'x', headers: { 'content-type': 'text/plain' } }),
          403,
          'forbidden',
        );
      }
      assertError(
        await server.api('PATCH', `${path}/${a.webhookId}`, { key: a.viewerKey, body: '{' }),
        403,
        'forbidden',
      );
      assertError(await server.api('POST', '/v1/accounts', { key: a.adminKey, body: '{' }), 403, 'forbidden');
    });

    test("another account's key with an invalid body is 404, not 400", async () => {
      assertError(
        await server.api('POST', `/v1/accounts/${b.id}/webhooks`, { key: a.adminKey, body: '{' }),
        404,
        'not_found',
      );
    });
  });
});

describe('the root key', () => {
  test('from HOOKLANE_ROOT_KEY works', async (t) => {
    const rootKey = `hlr_configured_${Date.now()}_abcdefghijklmnop`;
    const server = await startTestServer({ HOOKLANE_ROOT_KEY: rootKey });
    t.after(() => server.close());
    assert.equal(server.hooklane.generatedRootKey, null);
    const created = await server.api('POST', '/v1/accounts', { key: rootKey, body: { name: 'configured' } });
    assert.equal(created.status, 201);
    assertError(
      await server.api('POST', '/v1/accounts', { key: `${rootKey}-wrong`, body: { name: 'x' } }),
      401,
    );
  });

  test('is generated once per store when HOOKLANE_ROOT_KEY is empty', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hooklane-rootkey-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));

    const first = await startTestServer({ HOOKLANE_ROOT_KEY: '', HOOKLANE_DATA_DIR: dataDir });
    let firstClosed = false;
    t.after(() => (firstClosed ? undefined : first.close()));
    const generated = first.hooklane.generatedRootKey;
    assert.equal(typeof generated, 'string');
    assert.ok((generated as string).length >= 20);
    const created = await first.api('POST', '/v1/accounts', { key: generated, body: { name: 'generated' } });
    assert.equal(created.status, 201);
    // The empty configured key is not a key.
    assertError(
      await first.api('POST', '/v1/accounts', {
        key: null,
        headers: { authorization: 'Bearer ' },
        body: { name: 'x' },
      }),
      401,
    );
    await first.close();
    firstClosed = true;

    const second = await startTestServer({ HOOKLANE_ROOT_KEY: '', HOOKLANE_DATA_DIR: dataDir });
    t.after(() => second.close());
    assert.equal(second.hooklane.generatedRootKey, null);
    // The key generated by the first start still works, and the account it made is still there.
    const again = await second.api('POST', '/v1/accounts', { key: generated, body: { name: 'again' } });
    assert.equal(again.status, 201);
    const keys = await second.api('POST', `/v1/accounts/${created.body.id}/keys`, {
      key: generated,
      body: { role: 'viewer' },
    });
    assert.equal(keys.status, 201);
  });
});
