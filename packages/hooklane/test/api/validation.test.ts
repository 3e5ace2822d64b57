import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ApiResponse, startTestServer, type TestServer } from '../helpers/hooklane.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';

/** A clean 4xx: the expected status, and `{"error": {"code", "message"}}`. */
function assertError(response: ApiResponse, status: number, code?: string): void {
  assert.equal(
    response.status,
    status,
    `expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`,
  );
  assert.ok(
    response.body !== null && typeof response.body === 'object',
    `not JSON: ${String(response.body)}`,
  );
  assert.equal(typeof response.body.error, 'object', JSON.stringify(response.body));
  assert.equal(typeof response.body.error.code, 'string');
  assert.equal(typeof response.body.error.message, 'string');
  assert.ok(response.body.error.message.length > 0);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  if (code !== undefined) assert.equal(response.body.error.code, code, JSON.stringify(response.body));
}

function assertNotPolluted(): void {
  const probe: Record<string, unknown> = {};
  assert.equal(probe.polluted, undefined);
  assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false);
}

interface Case {
  readonly what: string;
  readonly method?: string;
  /** Relative to the account, e.g. `/webhooks`; `{wh}` is replaced by an existing webhook's id. */
  readonly path?: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly status: number;
  readonly code?: string;
}

const validWebhook = (url: string) => ({ name: 'valid', url, events: ['flow_completed'] });
const flowEvent = (extra: Record<string, unknown> = {}) => ({
  name: 'appcues:flow_completed',
  user_id: 'u1',
  attributes: { flowId: 'f1' },
  ...extra,
});

describe('malformed requests get a clean 4xx and change nothing', () => {
  let server: TestServer;
  let receiver: Receiver;
  let acc: string;
  let adminKey: string;
  let webhookId: string;
  let target: string;

  before(async () => {
    server = await startTestServer();
    receiver = await startReceiver();
    ({ id: acc, adminKey } = await server.account());
    target = `${receiver.url}/hook`;
    const webhook = await server.api('POST', `/v1/accounts/${acc}/webhooks`, {
      key: adminKey,
      body: { name: 'existing', url: target, events: ['*'], headers: { 'x-team': 'a' } },
    });
    assert.equal(webhook.status, 201);
    webhookId = webhook.body.id;
  });
  after(() => Promise.all([server?.close(), receiver?.close()]));

  /** Everything a refused request must leave as it was. */
  const snapshot = async () => {
    const webhooks = await server.api('GET', `/v1/accounts/${acc}/webhooks?limit=250`, { key: adminKey });
    const deliveries = await server.api('GET', `/v1/accounts/${acc}/deliveries?limit=250`, { key: adminKey });
    const existing = await server.api('GET', `/v1/accounts/${acc}/webhooks/${webhookId}`, { key: adminKey });
    assert.equal(webhooks.status, 200);
    assert.equal(deliveries.status, 200);
    assert.equal(existing.status, 200);
    const { updated_at: _updated, ...existingBody } = existing.body;
    return {
      webhooks: webhooks.body.data.length as number,
      deliveries: deliveries.body.data.length as number,
      received: receiver.requests.length,
      existing: existingBody,
      updatedAt: existing.body.updated_at as string,
    };
  };

  const run = async (cases: readonly Case[]) => {
    for (const c of cases) {
      const beforeState = await snapshot();
      const path = `/v1/accounts/${acc}${(c.path ?? '/webhooks').replace('{wh}', webhookId)}`;
      const response = await server.api(c.method ?? 'POST', path, {
        key: adminKey,
        body: c.body,
        headers: c.headers,
      });
      try {
        assertError(response, c.status, c.code);
      } catch (error) {
        throw new Error(`${c.what}: ${(error as Error).message}`);
      }
      const afterState = await snapshot();
      assert.deepEqual(afterState, beforeState, `${c.what}: state changed`);
      assertNotPolluted();
    }
  };

  test('webhook create: syntax, types, unknown fields and limits', async () => {
    const url = target;
    await run([
      { what: 'truncated JSON', body: '{"name": "x", "url": ', status: 400, code: 'invalid_json' },
      { what: 'empty body', body: '', status: 400 },
      { what: 'JSON null', body: 'null', status: 400 },
      { what: 'JSON array', body: '[]', status: 400, code: 'validation_failed' },
      {
        what: 'trailing garbage',
        body: `${JSON.stringify(validWebhook(url))}x`,
        status: 400,
        code: 'invalid_json',
      },
      {
        what: 'events not an array',
        body: { ...validWebhook(url), events: 'flow_completed' },
        status: 400,
        code: 'validation_failed',
      },
      {
        what: 'events an object',
        body: { ...validWebhook(url), events: { 0: 'flow_completed' } },
        status: 400,
      },
      { what: 'url a number', body: { ...validWebhook(url), url: 12345 }, status: 400 },
      {
        what: 'enabled "yes"',
        body: { ...validWebhook(url), enabled: 'yes' },
        status: 400,
        code: 'validation_failed',
      },
      {
        what: 'enabled "false"',
        body: { ...validWebhook(url), enabled: 'false' },
        status: 400,
        code: 'validation_failed',
      },
      {
        what: 'name a number',
        body: { ...validWebhook(url), name: 42 },
        status: 400,
        code: 'validation_failed',
      },
      {
        what: 'batch_window_ms a string',
        body: { ...validWebhook(url), batch_window_ms: '100' },
        status: 400,
      },
      { what: 'batch_window_ms null', body: { ...validWebhook(url), batch_window_ms: null }, status: 400 },
      {
        what: 'unknown field',
        body: { ...validWebhook(url), colour: 'blue' },
        status: 400,
        code: 'validation_failed',
      },
      {
        what: 'camelCase field',
        body: { ...validWebhook(url), batchWindowMs: 10 },
        status: 400,
        code: 'validation_failed',
      },
      {
        what: 'unknown filters field',
        body: { ...validWebhook(url), filters: { flow_ids: ['f'] } },
        status: 400,
      },
      { what: 'missing url', body: { name: 'x', events: ['*'] }, status: 400, code: 'validation_failed' },
      { what: 'missing events', body: { name: 'x', url }, status: 400, code: 'validation_failed' },
      {
        what: 'empty events',
        body: { ...validWebhook(url), events: [] },
        status: 400,
        code: 'validation_failed',
      },
      {
        what: 'empty event name',
        body: { ...validWebhook(url), events: [''] },
        status: 400,
        code: 'validation_failed',
      },
      {
        what: 'empty name',
        body: { ...validWebhook(url), name: '' },
        status: 400,
        code: 'validation_failed',
      },
      {
        what: 'unknown format',
        body: { ...validWebhook(url), format: 'xml' },
        status: 400,
        code: 'validation_failed',
      },
      { what: 'batch_window_ms 10001', body: { ...validWebhook(url), batch_window_ms: 10_001 }, status: 400 },
      { what: 'batch_window_ms -1', body: { ...validWebhook(url), batch_window_ms: -1 }, status: 400 },
      { what: 'batch_window_ms 1.5', body: { ...validWebhook(url), batch_window_ms: 1.5 }, status: 400 },
      {
        what: 'empty secret',
        body: { ...validWebhook(url), secret: '' },
        status: 400,
        code: 'validation_failed',
      },
      { what: 'header value a number', body: { ...validWebhook(url), headers: { 'x-a': 1 } }, status: 400 },
      {
        what: 'oversize body (> 1 MiB)',
        body: { ...validWebhook(url), name: 'x'.repeat(1024 * 1024 + 10) },
        status: 413,
        code: 'payload_too_large',
      },
    ]);
  });

  test('webhook create and PATCH: bad URLs', async () => {
    const bad = [
      ['ftp://', 'ftp://example.com/hook'],
      ['no scheme', 'example.com/hook'],
      ['relative', '/hook'],
      ['javascript:', 'javascript:alert(1)'],
      ['data:', 'data:text/plain,hi'],
      ['credentials', 'https://user:pass@example.com/hook'],
      ['> 2048 chars', `https://example.com/${'a'.repeat(2048)}`],
    ];
    await run(
      bad.flatMap(([what, url]): Case[] => [
        { what: `create ${what}`, body: validWebhook(url as string), status: 400 },
        { what: `patch ${what}`, method: 'PATCH', path: '/webhooks/{wh}', body: { url }, status: 400 },
      ]),
    );
  });

  test('webhook PATCH: types, unknown fields, empty patch', async () => {
    await run([
      {
        what: 'truncated JSON',
        method: 'PATCH',
        path: '/webhooks/{wh}',
        body: '{"name": ',
        status: 400,
        code: 'invalid_json',
      },
      {
        what: 'empty patch',
        method: 'PATCH',
        path: '/webhooks/{wh}',
        body: {},
        status: 400,
        code: 'validation_failed',
      },
      {
        what: 'unknown field',
        method: 'PATCH',
        path: '/webhooks/{wh}',
        body: { name: 'n', colour: 'x' },
        status: 400,
      },
      {
        what: 'secret via PATCH',
        method: 'PATCH',
        path: '/webhooks/{wh}',
        body: { secret: 'whsec_x' },
        status: 400,
      },
      {
        what: 'enabled "yes"',
        method: 'PATCH',
        path: '/webhooks/{wh}',
        body: { enabled: 'yes' },
        status: 400,
      },
      { what: 'enabled null', method: 'PATCH', path: '/webhooks/{wh}', body: { enabled: null }, status: 400 },
      {
        what: 'events not an array',
        method: 'PATCH',
        path: '/webhooks/{wh}',
        body: { events: 'x' },
        status: 400,
      },
      { what: 'empty events', method: 'PATCH', path: '/webhooks/{wh}', body: { events: [] }, status: 400 },
      {
        what: 'unknown format',
        method: 'PATCH',
        path: '/webhooks/{wh}',
        body: { format: 'xml' },
        status: 400,
      },
      {
        what: 'batch 10001',
        method: 'PATCH',
        path: '/webhooks/{wh}',
        body: { batch_window_ms: 10_001 },
        status: 400,
      },
      // A valid field next to an invalid one: nothing is half-applied.
      {
        what: 'name + bad url',
        method: 'PATCH',
        path: '/webhooks/{wh}',
        body: { name: 'half', url: 'ftp://x' },
        status: 400,
      },
      {
        what: 'name + reserved header',
        method: 'PATCH',
        path: '/webhooks/{wh}',
        body: { name: 'half', headers: { 'webhook-id': 'x' } },
        status: 400,
      },
    ]);
  });

  test('reserved static headers are refused on create and PATCH', async () => {
    const reserved = [
      { 'webhook-id': 'x' },
      { 'Webhook-Signature': 'v1,x' },
      { 'webhook-timestamp': '1' },
      { 'Content-Type': 'x' },
      { 'content-length': '1' },
      { Host: 'evil.example' },
      { 'X-Apc-Signature': 'x' },
      { 'x-apc-timestamp': '1' },
      { 'transfer-encoding': 'chunked' },
      { 'bad header name': 'x' },
      { 'x-newline': 'a\r\nx-injected: 1' },
    ];
    await run(
      reserved.flatMap((headers): Case[] => [
        {
          what: `create ${JSON.stringify(headers)}`,
          body: { ...validWebhook(target), headers },
          status: 400,
        },
        {
          what: `patch ${JSON.stringify(headers)}`,
          method: 'PATCH',
          path: '/webhooks/{wh}',
          body: { headers },
          status: 400,
        },
      ]),
    );
  });

  test('wrong content-type is 415', async () => {
    await run([
      {
        what: 'create text/plain',
        body: JSON.stringify(validWebhook(target)),
        headers: { 'content-type': 'text/plain' },
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        what: 'patch text/plain',
        method: 'PATCH',
        path: '/webhooks/{wh}',
        body: '{"name":"plain"}',
        headers: { 'content-type': 'text/plain' },
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        what: 'events text/plain',
        path: '/events',
        body: JSON.stringify(flowEvent()),
        headers: { 'content-type': 'text/plain' },
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        what: 'events form-encoded',
        path: '/events',
        body: 'name=x&user_id=u',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        status: 415,
        code: 'unsupported_media_type',
      },
    ]);
  });

  test('prototype-pollution keys are refused', async () => {
    const hook = `"name":"p","url":${JSON.stringify(target)},"events":["*"]`;
    const event = '"name":"appcues:flow_completed","user_id":"u1"';
    await run([
      { what: 'create __proto__', body: `{${hook},"__proto__":{"polluted":"yes"}}`, status: 400 },
      {
        what: 'create constructor.prototype',
        body: `{${hook},"constructor":{"prototype":{"polluted":"yes"}}}`,
        status: 400,
      },
      {
        what: 'create headers.__proto__',
        body: `{${hook},"headers":{"__proto__":{"polluted":"yes"}}}`,
        status: 400,
      },
      {
        what: 'patch __proto__',
        method: 'PATCH',
        path: '/webhooks/{wh}',
        body: '{"__proto__":{"polluted":"yes"}}',
        status: 400,
      },
      {
        what: 'patch constructor.prototype',
        method: 'PATCH',
        path: '/webhooks/{wh}',
        body: '{"name":"c","constructor":{"prototype":{"polluted":"yes"}}}',
        status: 400,
      },
      {
        what: 'event __proto__',
        path: '/events',
        body: `{${event},"attributes":{"flowId":"f1"},"__proto__":{"polluted":"yes"}}`,
        status: 400,
      },
      {
        what: 'event attributes.__proto__',
        path: '/events',
        body: `{${event},"attributes":{"flowId":"f1","__proto__":{"polluted":"yes"}}}`,
        status: 400,
      },
      {
        what: 'event constructor.prototype',
        path: '/events',
        body: `{${event},"attributes":{"flowId":"f1"},"constructor":{"prototype":{"polluted":"yes"}}}`,
        status: 400,
      },
      {
        what: 'events array with __proto__',
        path: '/events',
        body: `[{${event},"attributes":{"flowId":"f1","__proto__":{"polluted":"yes"}}}]`,
        status: 400,
      },
    ]);
  });

  test('event validation failures are 422 with the index and path', async () => {
    const missingFlowId = await server.api('POST', `/v1/accounts/${acc}/events`, {
      key: adminKey,
      body: [
        flowEvent({ id: 'evt-valid-0' }),
        { name: 'appcues:flow_completed', user_id: 'u1', attributes: {} },
      ],
    });
    assertError(missingFlowId, 422, 'invalid_event');
    assert.equal(missingFlowId.body.error.details.index, 1);
    assert.ok(
      missingFlowId.body.error.details.problems.some(
        (p: { path: string }) => p.path === '/attributes/flowId',
      ),
      JSON.stringify(missingFlowId.body),
    );
    // The valid event in front of the invalid one was not stored.
    const stored = await server.api('GET', `/v1/accounts/${acc}/deliveries?event_id=evt-valid-0`, {
      key: adminKey,
    });
    assert.deepEqual(stored.body.data, []);

    const missingUser = await server.api('POST', `/v1/accounts/${acc}/events`, {
      key: adminKey,
      body: { events: [{ name: 'custom_thing' }] },
    });
    assertError(missingUser, 422, 'invalid_event');
    assert.equal(missingUser.body.error.details.index, 0);
    assert.ok(missingUser.body.error.details.problems.some((p: { path: string }) => p.path === '/user_id'));

    await run([
      { what: 'missing name', path: '/events', body: { user_id: 'u1' }, status: 422, code: 'invalid_event' },
      {
        what: 'name a number',
        path: '/events',
        body: { name: 5, user_id: 'u1' },
        status: 422,
        code: 'invalid_event',
      },
      {
        what: 'user_id a number',
        path: '/events',
        body: { name: 'x', user_id: 5 },
        status: 422,
        code: 'invalid_event',
      },
      {
        what: 'timestamp a string',
        path: '/events',
        body: { name: 'x', user_id: 'u', timestamp: 'now' },
        status: 422,
        code: 'invalid_event',
      },
      {
        what: 'attributes a string',
        path: '/events',
        body: { name: 'x', user_id: 'u', attributes: 'a' },
        status: 422,
      },
      {
        what: 'flow without flowId',
        path: '/events',
        body: flowEvent({ attributes: {} }),
        status: 422,
        code: 'invalid_event',
      },
      { what: 'a string event', path: '/events', body: '"hello"', status: 422, code: 'invalid_event' },
      { what: 'an empty array', path: '/events', body: [], status: 422, code: 'invalid_event' },
      {
        what: 'events not an array',
        path: '/events',
        body: { events: 'x' },
        status: 422,
        code: 'invalid_event',
      },
      { what: 'truncated JSON', path: '/events', body: '[{"name": "x"', status: 400, code: 'invalid_json' },
      { what: 'empty body', path: '/events', body: '', status: 400 },
      {
        what: 'valid then invalid',
        path: '/events',
        body: [flowEvent(), flowEvent({ user_id: '' })],
        status: 422,
        code: 'invalid_event',
      },
    ]);
  });

  test('size limits: a body over 1 MiB and one event over 256 KiB are 413', async () => {
    await run([
      {
        what: 'events body > 1 MiB',
        path: '/events',
        body: flowEvent({ attributes: { flowId: 'f1', blob: 'x'.repeat(1024 * 1024 + 1) } }),
        status: 413,
        code: 'payload_too_large',
      },
      {
        what: 'many events > 1 MiB',
        path: '/events',
        body: Array.from({ length: 20 }, () =>
          flowEvent({ attributes: { flowId: 'f1', blob: 'x'.repeat(60_000) } }),
        ),
        status: 413,
        code: 'payload_too_large',
      },
      {
        what: 'one event > 256 KiB in a 300 KiB body',
        path: '/events',
        body: flowEvent({ attributes: { flowId: 'f1', blob: 'x'.repeat(300 * 1024) } }),
        status: 413,
        code: 'event_too_large',
      },
      {
        what: 'a small event, then one > 256 KiB',
        path: '/events',
        body: [
          flowEvent({ id: 'evt-small' }),
          flowEvent({ attributes: { flowId: 'f1', blob: 'x'.repeat(260 * 1024) } }),
        ],
        status: 413,
        code: 'event_too_large',
      },
    ]);
    const small = await server.api('GET', `/v1/accounts/${acc}/deliveries?event_id=evt-small`, {
      key: adminKey,
    });
    assert.deepEqual(small.body.data, []);
  });

  test('unknown query parameters are 400 on list endpoints', async () => {
    const paths = [
      `/v1/accounts/${acc}/webhooks?colour=blue`,
      `/v1/accounts/${acc}/webhooks?limit=2&offset=2`,
      `/v1/accounts/${acc}/deliveries?webhookId=${webhookId}`,
      `/v1/accounts/${acc}/deliveries?state=failed`,
      `/v1/accounts/${acc}/keys?all=true`,
      `/v1/accounts/${acc}/webhooks/${webhookId}?expand=secret`,
      `/v1/accounts/${acc}/listen?type=x`,
      '/v1/event-types?lang=en',
    ];
    for (const path of paths) {
      const response = await server.api('GET', path, { key: adminKey });
      assertError(response, 400, 'unknown_query_parameter');
    }
  });

  test('bad cursors, limits and filters are 400', async () => {
    const list = [`/v1/accounts/${acc}/webhooks`, `/v1/accounts/${acc}/deliveries`];
    for (const path of list) {
      for (const cursor of [
        'not-a-cursor',
        Buffer.from('wh_short').toString('base64url'),
        'x'.repeat(300),
        '',
      ]) {
        assertError(
          await server.api('GET', `${path}?cursor=${encodeURIComponent(cursor)}`, { key: adminKey }),
          400,
        );
      }
      assertError(
        await server.api('GET', `${path}?cursor=not-a-cursor`, { key: adminKey }),
        400,
        'invalid_cursor',
      );
      for (const limit of ['0', '251', 'abc', '1.5', '-1']) {
        assertError(
          await server.api('GET', `${path}?limit=${limit}`, { key: adminKey }),
          400,
          'validation_failed',
        );
      }
    }
    const deliveries = `/v1/accounts/${acc}/deliveries`;
    for (const query of ['status=done', 'since=yesterday', 'until=12', 'webhook_id=nope nope']) {
      assertError(
        await server.api('GET', `${deliveries}?${query}`, { key: adminKey }),
        400,
        'validation_failed',
      );
    }
  });

  test('other bodies: keys, accounts, test, recover, rotate', async () => {
    await run([
      {
        what: 'key with unknown role',
        path: '/keys',
        body: { role: 'owner' },
        status: 400,
        code: 'validation_failed',
      },
      {
        what: 'key with role root',
        path: '/keys',
        body: { role: 'root' },
        status: 400,
        code: 'validation_failed',
      },
      {
        what: 'key role as array',
        path: '/keys',
        body: { role: ['viewer'] },
        status: 400,
        code: 'validation_failed',
      },
      { what: 'key unknown field', path: '/keys', body: { role: 'viewer', scope: 'x' }, status: 400 },
      { what: 'test unknown type', path: '/webhooks/{wh}/test', body: { event_type: 'nope' }, status: 400 },
      { what: 'test type number', path: '/webhooks/{wh}/test', body: { event_type: 5 }, status: 400 },
      { what: 'test no body', path: '/webhooks/{wh}/test', body: {}, status: 400 },
      {
        what: 'recover bad since',
        path: '/webhooks/{wh}/recover',
        body: { since: 'yesterday' },
        status: 400,
      },
      {
        what: 'rotate empty secret',
        path: '/webhooks/{wh}/rotate-secret',
        body: { secret: '' },
        status: 400,
      },
      { what: 'rotate unknown field', path: '/webhooks/{wh}/rotate-secret', body: { grace: 1 }, status: 400 },
    ]);
    const keys = await server.api('GET', `/v1/accounts/${acc}/keys`, { key: adminKey });
    assert.equal(keys.body.data.length, 1, 'only the admin key exists');
    const accounts = [{ name: '' }, { name: 5 }, { name: 'x', plan: 'pro' }, {}];
    for (const body of accounts) {
      assertError(await server.api('POST', '/v1/accounts', { body }), 400, 'validation_failed');
    }
  });

  test('the process is still healthy afterwards', async () => {
    const health = await server.api('GET', '/healthz', { key: null });
    assert.equal(health.status, 200);
    assert.equal((await server.api('GET', '/readyz', { key: null })).status, 200);
    // And it still does real work.
    const sent = await server.api('POST', `/v1/accounts/${acc}/events`, { key: adminKey, body: flowEvent() });
    assert.equal(sent.status, 202);
    const [request] = await receiver.waitFor(1);
    assert.equal(JSON.parse(request?.body ?? '{}').id, sent.body.ids[0]);
    assertNotPolluted();
  });
});

describe('SSRF: private targets are refused unless allowed', () => {
  let server: TestServer;
  let acc: string;
  let adminKey: string;
  let webhookId: string;
  const publicUrl = 'https://hooks.example.com/in';

  before(async () => {
    server = await startTestServer({ HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'false' });
    ({ id: acc, adminKey } = await server.account());
    const created = await server.api('POST', `/v1/accounts/${acc}/webhooks`, {
      key: adminKey,
      body: { name: 'public', url: publicUrl, events: ['flow_completed'] },
    });
    assert.equal(created.status, 201);
    webhookId = created.body.id;
  });
  after(() => server?.close());

  const unsafe = [
    'http://127.0.0.1/',
    'http://127.1/',
    'http://2130706433/',
    'http://0x7f.0.0.1/',
    'http://0177.0.0.1/',
    'http://0.0.0.0/',
    'http://[::1]/',
    'http://[::]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[fc00::1]/',
    'http://[fd12:3456::1]/',
    'http://[fe80::1]/',
    'http://10.0.0.1/',
    'http://172.16.0.1/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://224.0.0.1/',
    'http://255.255.255.255/',
    'http://240.0.0.1/',
    'http://localhost/',
    'http://LOCALHOST:8080/',
    'http://localhost./',
    'http://api.localhost/',
    'https://127.0.0.1:443/hook',
  ];

  test('on create', async () => {
    for (const url of unsafe) {
      const response = await server.api('POST', `/v1/accounts/${acc}/webhooks`, {
        key: adminKey,
        body: { name: 'ssrf', url, events: ['*'] },
      });
      try {
        assertError(response, 400, 'unsafe_url');
      } catch (error) {
        throw new Error(`${url}: ${(error as Error).message}`);
      }
    }
    const list = await server.api('GET', `/v1/accounts/${acc}/webhooks`, { key: adminKey });
    assert.deepEqual(
      list.body.data.map((w: { id: string }) => w.id),
      [webhookId],
    );
  });

  test('on PATCH, leaving the webhook as it was', async () => {
    for (const url of unsafe) {
      const response = await server.api('PATCH', `/v1/accounts/${acc}/webhooks/${webhookId}`, {
        key: adminKey,
        body: { url, name: 'changed' },
      });
      try {
        assertError(response, 400, 'unsafe_url');
      } catch (error) {
        throw new Error(`${url}: ${(error as Error).message}`);
      }
    }
    const webhook = await server.api('GET', `/v1/accounts/${acc}/webhooks/${webhookId}`, { key: adminKey });
    assert.equal(webhook.body.url, publicUrl);
    assert.equal(webhook.body.name, 'public');
  });

  test('public targets are accepted', async () => {
    const created = await server.api('POST', `/v1/accounts/${acc}/webhooks`, {
      key: adminKey,
      body: { name: 'ok', url: 'http://93.184.215.14/hook', events: ['*'], enabled: false },
    });
    assert.equal(created.status, 201);
    const patched = await server.api('PATCH', `/v1/accounts/${acc}/webhooks/${webhookId}`, {
      key: adminKey,
      body: { url: 'https://[2606:4700::1111]/hook' },
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.url, 'https://[2606:4700::1111]/hook');
  });
});
