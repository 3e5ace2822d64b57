import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/config.ts';
import { startHooklane } from '../../src/main.ts';
import {
  type ApiResponse,
  callApi,
  eventually,
  startTestServer,
  TEST_BACKEND,
  TEST_ENV,
  type TestServer,
} from '../helpers/hooklane.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';

/** A clean refusal: the expected status and `{"error": {"code", "message"}}` with that code. */
function assertError(response: ApiResponse, status: number, code: string): void {
  const shown = JSON.stringify(response.body);
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${shown}`);
  assert.ok(response.body !== null && typeof response.body === 'object', `not JSON: ${shown}`);
  assert.equal(response.body.error?.code, code, shown);
  assert.equal(typeof response.body.error.message, 'string', shown);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
}

/** A validation refusal naming `path` in its message and its details. */
function assertRefusedAt(response: ApiResponse, path: string): void {
  assertError(response, 400, 'validation_failed');
  const shown = JSON.stringify(response.body);
  assert.equal(response.body.error.details?.[0]?.path, path, shown);
  assert.ok(response.body.error.message.includes(path), shown);
}

/** Sends raw bytes on a fresh connection and reads the answer until the server closes it. */
async function rawHttp(url: string, request: string): Promise<{ status: number; head: string; body: any }> {
  const { hostname, port } = new URL(url);
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('close', () => resolve(received));
    socket.on('error', (error) => (received === '' ? reject(error) : resolve(received)));
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
    socket.write(request);
  });
  const split = text.indexOf('\r\n\r\n');
  const head = text.slice(0, split);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  return { status, head, body: JSON.parse(text.slice(split + 4)) };
}

const flowEvent = (extra: Record<string, unknown> = {}) => ({
  name: 'appcues:flow_completed',
  user_id: 'u1',
  attributes: { flowId: 'f1' },
  ...extra,
});

/** An object nested `levels` deep: `{"a": {"a": ... {}}}`. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let level = 1; level < levels; level++) value = { a: value };
  return value;
}

describe('hostile bodies and URLs are refused with a 4xx naming the place; nothing is stored', () => {
  let server: TestServer;
  let receiver: Receiver;
  let acc: string;
  let adminKey: string;
  let webhookId: string;

  before(async () => {
    server = await startTestServer();
    receiver = await startReceiver();
    ({ id: acc, adminKey } = await server.account());
    const webhook = await server.api('POST', `/v1/accounts/${acc}/webhooks`, {
      key: adminKey,
      body: { name: 'all', url: `${receiver.url}/hook`, events: ['*'] },
    });
    assert.equal(webhook.status, 201);
    webhookId = webhook.body.id;
  });
  after(() => Promise.all([server?.close(), receiver?.close()]));

  const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    server.api(method, `/v1/accounts/${acc}${path}`, { key: adminKey, body, headers });

  /** What a refused request must leave as it was. */
  const snapshot = async () => {
    const [webhooks, deliveries, keys] = await Promise.all([
      api('GET', '/webhooks?limit=250'),
      api('GET', '/deliveries?limit=250'),
      api('GET', '/keys'),
    ]);
    return { webhooks: webhooks.body.data, deliveries: deliveries.body.data.length, keys: keys.body.data };
  };

  const assertNoEvents = async (ids: readonly string[]) => {
    assert.deepEqual(await server.hooklane.store.getEvents(acc, ids), [], `stored: ${ids.join(', ')}`);
  };

  test('invalid UTF-8 in a body is 400 invalid_json, never rewritten to U+FFFD', async () => {
    const before = await snapshot();
    const withBadBytes = (json: string) => {
      const [head, tail] = json.split('BAD') as [string, string];
      return Buffer.concat([Buffer.from(head), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(tail)]);
    };
    const send = async (path: string, json: string, key = adminKey): Promise<ApiResponse> => {
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: withBadBytes(json),
      });
      return { status: response.status, body: await response.json(), headers: response.headers };
    };
    const event = JSON.stringify(flowEvent({ id: 'utf8-bad', attributes: { flowId: 'f1', x: 'BAD' } }));
    assertError(await send(`/v1/accounts/${acc}/events`, event), 400, 'invalid_json');
    const hook = JSON.stringify({ name: 'BAD', url: `${receiver.url}/x`, events: ['*'] });
    assertError(await send(`/v1/accounts/${acc}/webhooks`, hook), 400, 'invalid_json');
    assertError(await send('/v1/accounts', '{"name":"BAD"}', server.rootKey), 400, 'invalid_json');
    await assertNoEvents(['utf8-bad']);
    assert.deepEqual(await snapshot(), before);

    // Valid UTF-8, multi-byte characters included, is delivered byte for byte.
    const text = 'é 界 😀';
    const sent = await api(
      'POST',
      '/events',
      flowEvent({ id: 'utf8-ok', attributes: { flowId: 'f1', text } }),
    );
    assert.equal(sent.status, 202);
    const delivered = await eventually(
      () => receiver.requests.find((request) => request.body.includes('"utf8-ok"')),
      10_000,
      'the delivery of utf8-ok',
    );
    assert.equal(JSON.parse(delivered.body).attributes.text, text);
  });

  test('an event 10,000 objects deep is 400 naming the 64-level limit, and the server stays healthy', async () => {
    const before = await snapshot();
    const depth = 10_000;
    const deep = `{"id":"deep-1","name":"x","user_id":"u","attributes":${'{"a":'.repeat(depth)}1${'}'.repeat(depth + 1)}`;
    const refused = await api('POST', '/events', deep);
    assertError(refused, 400, 'validation_failed');
    assert.match(refused.body.error.message, /deeper than 64 levels/);
    assert.equal(refused.body.error.details[0].path, 'body');
    // Arrays count as levels too, in every body.
    const arrays = await api(
      'POST',
      '/webhooks',
      `{"name":"n","url":"x","events":${'['.repeat(depth)}${']'.repeat(depth)}}`,
    );
    assertError(arrays, 400, 'validation_failed');
    assert.match(arrays.body.error.message, /deeper than 64 levels/);
    await assertNoEvents(['deep-1']);
    assert.deepEqual(await snapshot(), before);

    // The limit itself: 64 levels (the event is level 1, its attributes level 2) are accepted.
    const atLimit = await api('POST', '/events', {
      id: 'deep-64',
      name: 'deep',
      user_id: 'u1',
      attributes: nested(63),
    });
    assert.equal(atLimit.status, 202, JSON.stringify(atLimit.body));
    assertError(
      await api('POST', '/events', { id: 'deep-65', name: 'deep', user_id: 'u1', attributes: nested(64) }),
      400,
      'validation_failed',
    );
    await assertNoEvents(['deep-65']);
    // Brackets inside strings are text, escaped quotes and backslashes included.
    const brackets = `${'['.repeat(100)}"\\${'{'.repeat(100)}\\"[`;
    const inStrings = await api('POST', '/events', {
      id: 'deep-text',
      name: 'deep',
      user_id: 'u1',
      attributes: { [brackets]: brackets, list: [brackets, '\\', '"'] },
    });
    assert.equal(inStrings.status, 202, JSON.stringify(inStrings.body));
    const [stored] = await server.hooklane.store.getEvents(acc, ['deep-text']);
    assert.equal(JSON.parse(stored?.body ?? '{}').attributes[brackets], brackets);

    assert.equal((await server.api('GET', '/healthz', { key: null })).status, 200);
    assert.equal((await api('POST', '/events', flowEvent({ id: 'deep-after' }))).status, 202);
  });

  test('U+0000 anywhere in a body is 400 naming its JSON pointer, on every endpoint', async () => {
    const before = await snapshot();
    const nul = 'a\u0000b';
    const cases: [what: string, method: string, path: string, body: unknown, pointer: string][] = [
      ['event id', 'POST', '/events', flowEvent({ id: nul }), 'body/id'],
      ['event name', 'POST', '/events', { id: 'nul-name', name: nul, user_id: 'u1' }, 'body/name'],
      ['event user_id', 'POST', '/events', flowEvent({ id: 'nul-user', user_id: nul }), 'body/user_id'],
      [
        'event attribute',
        'POST',
        '/events',
        flowEvent({ id: 'nul-attr', attributes: { flowId: 'f1', x: nul } }),
        'body/attributes/x',
      ],
      [
        'event attribute key',
        'POST',
        '/events',
        flowEvent({ id: 'nul-key', attributes: { flowId: 'f1', [nul]: 1 } }),
        `body/attributes/${nul}`,
      ],
      [
        'content id',
        'POST',
        '/events',
        flowEvent({ id: 'nul-flow', attributes: { flowId: nul } }),
        'body/attributes/flowId',
      ],
      [
        'second event of {events}',
        'POST',
        '/events',
        {
          events: [
            flowEvent({ id: 'nul-batch-0' }),
            flowEvent({ id: 'nul-batch-1', attributes: { flowId: 'f1', x: nul } }),
          ],
        },
        'body/events/1/attributes/x',
      ],
      [
        'context, deep in an array',
        'POST',
        '/events',
        [flowEvent({ id: 'nul-array-0' }), flowEvent({ id: 'nul-array-1', context: { tags: ['ok', nul] } })],
        'body/1/context/tags/1',
      ],
      ['key name', 'POST', '/keys', { role: 'viewer', name: nul }, 'body/name'],
      [
        'webhook name',
        'POST',
        '/webhooks',
        { name: nul, url: `${receiver.url}/x`, events: ['*'] },
        'body/name',
      ],
      [
        'webhook url',
        'POST',
        '/webhooks',
        { name: 'n', url: `${receiver.url}/${nul}`, events: ['*'] },
        'body/url',
      ],
      [
        'webhook event name',
        'POST',
        '/webhooks',
        { name: 'n', url: `${receiver.url}/x`, events: [nul] },
        'body/events/0',
      ],
      [
        'webhook header value',
        'POST',
        '/webhooks',
        { name: 'n', url: `${receiver.url}/x`, events: ['*'], headers: { 'x-a': nul } },
        'body/headers/x-a',
      ],
      ['webhook name, PATCH', 'PATCH', `/webhooks/${webhookId}`, { name: nul }, 'body/name'],
      ['rotated secret', 'POST', `/webhooks/${webhookId}/rotate-secret`, { secret: nul }, 'body/secret'],
    ];
    for (const [what, method, path, body, pointer] of cases) {
      try {
        assertRefusedAt(await api(method, path, body), pointer);
      } catch (error) {
        throw new Error(`${what}: ${(error as Error).message}`);
      }
    }
    assertRefusedAt(await server.api('POST', '/v1/accounts', { body: { name: nul } }), 'body/name');
    await assertNoEvents([
      'nul-name',
      'nul-user',
      'nul-attr',
      'nul-key',
      'nul-flow',
      'nul-batch-0',
      'nul-array-0',
    ]);
    assert.deepEqual(await snapshot(), before);
  });

  test('unpaired surrogates (\\ud800 escapes) are refused like U+0000; paired ones are text', async () => {
    const before = await snapshot();
    const lone = [
      ['{"id":"sur-1","name":"x\\ud800","user_id":"u1"}', 'body/name'],
      ['{"id":"sur-2","name":"x","user_id":"u1","attributes":{"x":"\\udc00 and more"}}', 'body/attributes/x'],
      ['{"id":"sur-3","name":"x","user_id":"u1","attributes":{"\\ude00":1}}', 'body/attributes/\udE00'],
      [
        '{"id":"sur-4","name":"x","user_id":"u1","attributes":{"x":"\\ud83d\\ud83d\\ude00"}}',
        'body/attributes/x',
      ],
    ];
    for (const [body, pointer] of lone)
      assertRefusedAt(await api('POST', '/events', body), pointer as string);
    assertRefusedAt(await api('PATCH', `/webhooks/${webhookId}`, '{"name":"\\udbff"}'), 'body/name');
    await assertNoEvents(['sur-1', 'sur-2', 'sur-3', 'sur-4']);
    assert.deepEqual(await snapshot(), before);

    const paired = await api(
      'POST',
      '/events',
      '{"id":"sur-ok","name":"x","user_id":"u1","attributes":{"x":"\\ud83d\\ude00"}}',
    );
    assert.equal(paired.status, 202);
    const [stored] = await server.hooklane.store.getEvents(acc, ['sur-ok']);
    assert.equal(JSON.parse(stored?.body ?? '{}').attributes.x, '😀');
  });

  test('U+0000 in a path parameter or query string is 400 naming the parameter', async () => {
    const refusals: [path: string, key: string, pointer: string][] = [
      ['/v1/accounts/%00', server.rootKey, 'params/acc'],
      ['/v1/accounts/%00/webhooks', server.rootKey, 'params/acc'],
      [`/v1/accounts/${acc}/webhooks/wh_%00`, adminKey, 'params/id'],
      [`/v1/accounts/${acc}/deliveries?event_id=%00`, adminKey, 'querystring/event_id'],
      [`/v1/accounts/${acc}/deliveries?event_id=ok&event_id=a%00`, adminKey, 'querystring/event_id'],
    ];
    for (const [path, key, pointer] of refusals) {
      const response = await server.api('GET', path, { key });
      assertError(response, 400, 'validation_failed');
      assert.equal(response.body.error.details[0].path, pointer, path);
      assert.ok(
        response.body.error.message.includes(`"${pointer.split('/')[1]}"`),
        response.body.error.message,
      );
    }
    const ingest = await server.api('POST', '/v1/accounts/%00/events', { body: flowEvent() });
    assertError(ingest, 400, 'validation_failed');
  });

  test('numbers too large for a double are refused, not stored as null', async () => {
    const before = await snapshot();
    const response = await api(
      'POST',
      '/events',
      '{"id":"big-1","name":"x","user_id":"u1","attributes":{"n":1e400}}',
    );
    assertRefusedAt(response, 'body/attributes/n');
    await assertNoEvents(['big-1']);
    assert.deepEqual(await snapshot(), before);
  });

  test('times that RFC 3339 admits but the server cannot read (leap seconds) are 400', async () => {
    const before = await snapshot();
    const leap = '2016-12-31T23:59:60Z';
    assertError(await api('GET', `/deliveries?since=${leap}`), 400, 'validation_failed');
    assertError(await api('GET', `/deliveries?until=${leap}`), 400, 'validation_failed');
    assertError(
      await api('POST', `/webhooks/${webhookId}/recover`, { since: leap }),
      400,
      'validation_failed',
    );
    assert.deepEqual(await snapshot(), before);
  });

  test('the longest values validation admits are stored alike on every store', async () => {
    const { id: other, adminKey: otherKey } = await server.account();
    // A batching webhook: its open batches are indexed by (webhook, user_id).
    const batched = await server.api('POST', `/v1/accounts/${other}/webhooks`, {
      key: otherKey,
      body: {
        name: 'batched',
        url: `${receiver.url}/batched`,
        events: ['*'],
        format: 'usetiful',
        batch_window_ms: 10_000,
      },
    });
    assert.equal(batched.status, 201);
    const wide = '😀'; // four bytes in UTF-8, two UTF-16 units
    const event = {
      id: wide.repeat(200),
      name: wide.repeat(200),
      user_id: wide.repeat(500),
      attributes: {},
    };
    const sent = await server.api('POST', `/v1/accounts/${other}/events`, { key: otherKey, body: event });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const [stored] = await server.hooklane.store.getEvents(other, [event.id]);
    assert.equal(stored?.userId, event.user_id);
    const longName = await server.api('POST', '/v1/accounts', { body: { name: wide.repeat(200) } });
    assert.equal(longName.status, 201);
  });
});

describe('ids whose JSON is longer in bytes than in characters', () => {
  test('are stored and announced, however many arrive together', async (t) => {
    const server = await startTestServer();
    t.after(() => server.close());
    const { id: acc, adminKey } = await server.account();
    for (const [what, filler] of [
      ['three bytes each', '界'],
      ['escaped in JSON', '"'],
    ] as const) {
      const events = Array.from({ length: 40 }, (_, n) => ({
        id: `${String(n).padStart(3, '0')}${filler.repeat(197)}`,
        name: 'x',
        user_id: 'u1',
      }));
      const sent = await server.api('POST', `/v1/accounts/${acc}/events`, { key: adminKey, body: events });
      assert.equal(sent.status, 202, `${what}: ${JSON.stringify(sent.body)}`);
    }
  });
});

describe('every answer is {"error": {"code", "message"}}, Fastify\'s and Node\'s refusals included', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.close());

  test('a path parameter over the router limit is 414 uri_too_long', async () => {
    const response = await server.api('GET', `/v1/accounts/acc_${'a'.repeat(200)}`);
    assertError(response, 414, 'uri_too_long');
  });

  test('request headers over the size limit are 431 headers_too_large', async () => {
    const answer = await rawHttp(
      server.url,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    assert.equal(answer.status, 431, answer.head);
    assert.match(answer.head, /content-type: application\/json/i);
    assert.equal(answer.body.error.code, 'headers_too_large');
  });

  test('a request Node cannot parse and a URL that does not decode are 400 malformed_request', async () => {
    for (const request of [
      'NOT-A-METHOD /healthz HTTP/1.1\r\nHost: x\r\n\r\n',
      'hello\r\n\r\n',
      'GET /v1/accounts/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'GET /v1/accounts/%ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    ]) {
      const answer = await rawHttp(server.url, request);
      assert.equal(answer.status, 400, `${JSON.stringify(request)}: ${answer.head}`);
      assert.equal(answer.body.error.code, 'malformed_request', JSON.stringify(answer.body));
    }
  });

  test('a request arriving while the server closes is 503 unavailable in the catalogue shape', async () => {
    const closing = await startTestServer();
    const { hostname, port } = new URL(closing.url);
    // A first request held open (its body half sent), then a second pipelined behind it: the
    // second is routed only after close() began.
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const body = '{"name":"held"}';
    socket.write(
      `POST /v1/accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${closing.rootKey}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closed = closing.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.write(`${body.slice(5)}GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 5000))]);
    socket.destroy();
    await closed;
    const answers = received.split(/(?=HTTP\/1\.1 )/);
    assert.match(answers[0] ?? '', /^HTTP\/1\.1 201/, received);
    assert.match(answers[1] ?? '', /^HTTP\/1\.1 503/, received);
    const second = JSON.parse((answers[1] ?? '').slice((answers[1] ?? '').indexOf('\r\n\r\n') + 4));
    assert.equal(second.error.code, 'unavailable');
  });
});

describe('bodies: unknown fields refused everywhere, and no body where none is read', () => {
  let server: TestServer;
  let receiver: Receiver;
  let acc: string;
  let adminKey: string;
  let failing = true;

  before(async () => {
    server = await startTestServer();
    receiver = await startReceiver(() => ({ status: failing ? 500 : 204 }));
    ({ id: acc, adminKey } = await server.account());
  });
  after(() => Promise.all([server?.close(), receiver?.close()]));

  test('POST .../deliveries/{id}/retry with a body is 400 unexpected_body and nothing is retried', async () => {
    const webhook = await server.api('POST', `/v1/accounts/${acc}/webhooks`, {
      key: adminKey,
      body: { name: 'failing', url: `${receiver.url}/hook`, events: ['*'] },
    });
    assert.equal(webhook.status, 201);
    const sent = await server.api('POST', `/v1/accounts/${acc}/events`, { key: adminKey, body: flowEvent() });
    assert.equal(sent.status, 202);
    const delivery = await eventually(
      async () => {
        const list = await server.api('GET', `/v1/accounts/${acc}/deliveries`, { key: adminKey });
        const found = list.body.data[0];
        return found?.status === 'failed' ? found : undefined;
      },
      15_000,
      'the delivery to fail',
    );
    const path = `/v1/accounts/${acc}/deliveries/${delivery.id}/retry`;
    const attemptsBefore = receiver.requests.length;
    for (const body of [{ webhook_id: 'x' }, {}, '{"unknown": true}', 'null', '[]', '{"broken":']) {
      const response = await server.api('POST', path, { key: adminKey, body });
      assertError(response, 400, body === '{"broken":' ? 'invalid_json' : 'unexpected_body');
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(receiver.requests.length, attemptsBefore, 'a refused retry sent nothing');
    const unchanged = await server.api('GET', `/v1/accounts/${acc}/deliveries/${delivery.id}`, {
      key: adminKey,
    });
    assert.equal(unchanged.body.status, 'failed');
    assert.equal(unchanged.body.attempt_count, delivery.attempt_count);

    // No body, and an empty one, are still a retry.
    failing = false;
    const retried = await server.api('POST', path, { key: adminKey });
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    await receiver.waitFor(attemptsBefore + 1);
    await eventually(async () => {
      const read = await server.api('GET', `/v1/accounts/${acc}/deliveries/${delivery.id}`, {
        key: adminKey,
      });
      return read.body.status === 'succeeded' ? true : undefined;
    });
    const empty = await server.api('POST', path, { key: adminKey, body: '' });
    assert.equal(empty.status, 202, JSON.stringify(empty.body));
  });

  test('every endpoint without a request body refuses one, whatever its method', async () => {
    const document = (await server.api('GET', '/openapi.json', { key: null })).body;
    const webhook = await server.api('POST', `/v1/accounts/${acc}/webhooks`, {
      key: adminKey,
      body: { name: 'target', url: `${receiver.url}/t`, events: ['*'] },
    });
    let checked = 0;
    for (const [template, operations] of Object.entries(
      document.paths as Record<string, Record<string, any>>,
    )) {
      const path = template.replace('{acc}', acc).replace('{id}', webhook.body.id);
      for (const [method, operation] of Object.entries(operations)) {
        if (operation.requestBody !== undefined || method === 'head') continue;
        // GET bodies are never read by Fastify: they are refused all the same.
        const answer = await new Promise<{ status: number; body: any }>((resolve, reject) => {
          const request = httpRequest(new URL(path, server.url), {
            method: method.toUpperCase(),
            headers: {
              authorization: `Bearer ${server.rootKey}`,
              'content-type': 'application/json',
              'content-length': '14',
            },
          });
          request.on('response', (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => {
              text += chunk;
            });
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
          });
          request.on('error', reject);
          request.end('{"surprise":1}');
        });
        assert.equal(answer.status, 400, `${method} ${template}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error.code, 'unexpected_body', `${method} ${template}`);
        checked++;
      }
    }
    assert.ok(checked >= 10, `only ${checked} body-less operations found`);
    // Still there: the DELETE above was refused.
    const read = await server.api('GET', `/v1/accounts/${acc}/webhooks/${webhook.body.id}`, {
      key: adminKey,
    });
    assert.equal(read.status, 200);
  });

  test('every request body schema refuses unknown fields', async () => {
    const document = (await server.api('GET', '/openapi.json', { key: null })).body;
    const open: string[] = [];
    let objects = 0;
    for (const [template, operations] of Object.entries(
      document.paths as Record<string, Record<string, any>>,
    )) {
      for (const [method, operation] of Object.entries(operations)) {
        const schema = operation.requestBody?.content?.['application/json']?.schema;
        const queue: [string, any][] = schema === undefined ? [] : [['', schema]];
        for (const [where, node] of queue) {
          if (node === null || typeof node !== 'object') continue;
          if (node.properties !== undefined) {
            objects++;
            if (node.additionalProperties !== false) open.push(`${method} ${template} ${where || '/'}`);
          }
          for (const [key, child] of Object.entries(node)) queue.push([`${where}/${key}`, child]);
        }
      }
    }
    assert.ok(objects >= 8, `only ${objects} body objects found`);
    assert.deepEqual(open, []);
  });
});

describe("one account's NUL-bearing events never fail another's concurrent ingest", () => {
  test('8 clients sending U+0000 beside 8 clients sending valid events: no 500, nothing logged as unhandled', async (t) => {
    const logged: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    const dataDir = mkdtempSync(join(tmpdir(), 'hooklane-test-'));
    const database = TEST_BACKEND === 'postgres' ? await createTestDatabase() : null;
    const rootKey = `hlr_test_${randomBytes(16).toString('hex')}`;
    const config = loadConfig({
      ...TEST_ENV,
      HOOKLANE_DATA_DIR: dataDir,
      HOOKLANE_ROOT_KEY: rootKey,
      ...(database === null
        ? {}
        : { DATABASE_URL: database.url, HOOKLANE_SECRET_KEY: randomBytes(32).toString('base64') }),
    });
    const hooklane = await startHooklane(config, { logger });
    t.after(async () => {
      await hooklane.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const url = hooklane.url as string;
    const account = async () => {
      const created = await callApi(url, rootKey, 'POST', '/v1/accounts', { body: { name: 'tenant' } });
      const key = await callApi(url, rootKey, 'POST', `/v1/accounts/${created.body.id}/keys`, {
        body: { role: 'ingest' },
      });
      return { id: created.body.id as string, key: key.body.key as string };
    };
    const [hostile, victim] = await Promise.all([account(), account()]);

    const rounds = 25;
    const client = (tenant: { id: string; key: string }, nul: boolean, n: number) => async () => {
      const statuses: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const response = await callApi(url, tenant.key, 'POST', `/v1/accounts/${tenant.id}/events`, {
          body: [
            flowEvent({ id: `c${n}-r${round}-a` }),
            flowEvent({ id: `c${n}-r${round}-b`, user_id: nul ? 'u\u0000' : 'u2' }),
          ],
        });
        statuses.push(response.status);
      }
      return statuses;
    };
    const clients = Array.from({ length: 8 }, (_, n) => [
      client(hostile, true, n),
      client(victim, false, n),
    ]).flat();
    const statuses = await Promise.all(clients.map((run) => run()));
    const hostileStatuses = statuses.filter((_, i) => i % 2 === 0).flat();
    const victimStatuses = statuses.filter((_, i) => i % 2 === 1).flat();
    assert.deepEqual(new Set(hostileStatuses), new Set([400]));
    assert.deepEqual(new Set(victimStatuses), new Set([202]));
    assert.equal(victimStatuses.length, 8 * rounds);
    const stored = await hooklane.store.getEvents(
      victim.id,
      Array.from({ length: 8 }, (_, n) => `c${n}-r0-b`),
    );
    assert.equal(stored.length, 8);
    assert.deepEqual(await hooklane.store.getEvents(hostile.id, ['c0-r0-a']), []);
    assert.deepEqual(
      logged.filter((line) => line.level >= 50),
      [],
      'nothing logged at error level',
    );
  });
});
