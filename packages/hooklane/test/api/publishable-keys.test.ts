import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { verify } from '@hooklane/receiver';
import { type ApiResponse, startTestServer, type TestServer } from '../helpers/hooklane.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';

const ORIGIN = 'https://app.example.com';

function ok<T>(response: ApiResponse<T>, status = 200): ApiResponse<T> {
  assert.equal(response.status, status, JSON.stringify(response.body));
  return response;
}

const banner = (extra: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  name: 'banner_closed',
  user_id: 'anon:1',
  attributes: { contentId: 'b1', bannerName: 'New pricing' },
  ...extra,
});

describe('publishable keys', () => {
  let server: TestServer;
  let receiver: Receiver;
  let account: { id: string; adminKey: string };
  let admin: TestServer['api'];

  /** A page's request: text/plain JSON, the key in the query string, an Origin. */
  const fromPage = async (
    path: string,
    key: string,
    body: unknown,
    { origin = ORIGIN as string | null, method = 'POST' } = {},
  ): Promise<ApiResponse> => {
    const headers: Record<string, string> = { 'content-type': 'text/plain;charset=UTF-8' };
    if (origin !== null) headers.origin = origin;
    return server.api(method, `/v1/accounts/${account.id}/${path}?key=${encodeURIComponent(key)}`, {
      key: null,
      headers,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  };

  const createKey = async (body: Record<string, unknown>) =>
    ok(
      await admin('POST', `/v1/accounts/${account.id}/keys`, { body: { role: 'publishable', ...body } }),
      201,
    ).body as { id: string; key: string; origins: string[]; events: string[] | null; rate_limit: unknown };

  before(async () => {
    server = await startTestServer();
    receiver = await startReceiver();
    account = await server.account();
    admin = (method, path, options = {}) => server.api(method, path, { key: account.adminKey, ...options });
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
  });

  test('an admin creates one with origins (hlp_...), lists it, and edits its origins, events and rate limit', async () => {
    const created = await createKey({ name: 'web', origins: ['https://App.Example.com'] });
    assert.match(created.key, /^hlp_/);
    assert.deepEqual(created.origins, [ORIGIN]);
    assert.equal(created.events, null);
    assert.deepEqual(created.rate_limit, {
      per_key: { per_second: 50, burst: 100 },
      per_client: { per_second: 2, burst: 20 },
    });
    const listed = ok(await admin('GET', `/v1/accounts/${account.id}/keys`)).body.data.find(
      (key: { id: string }) => key.id === created.id,
    );
    assert.equal(listed.role, 'publishable');
    assert.deepEqual(listed.origins, [ORIGIN]);
    assert.equal(listed.key, undefined);

    const edited = ok(
      await admin('PATCH', `/v1/accounts/${account.id}/keys/${created.id}`, {
        body: { events: ['banner_closed'], rate_limit: { per_client: { per_second: 1, burst: 5 } } },
      }),
    ).body;
    assert.deepEqual(edited.origins, [ORIGIN]);
    assert.deepEqual(edited.events, ['banner_closed']);
    assert.deepEqual(edited.rate_limit.per_client, { per_second: 1, burst: 5 });
    assert.deepEqual(edited.rate_limit.per_key, { per_second: 50, burst: 100 });
    const moved = ok(
      await admin('PATCH', `/v1/accounts/${account.id}/keys/${created.id}`, {
        body: { origins: ['http://localhost:3000'] },
      }),
    ).body;
    assert.deepEqual(moved.origins, ['http://localhost:3000']);
    assert.deepEqual(moved.events, ['banner_closed']);
  });

  test('origins are required, must be origins, and belong to publishable keys only', async () => {
    const keys = `/v1/accounts/${account.id}/keys`;
    assert.equal((await admin('POST', keys, { body: { role: 'publishable' } })).status, 400);
    for (const origin of [
      'https://app.example.com/path',
      'ftp://x.example',
      'not a url',
      'https://u:p@x.example',
    ]) {
      const refused = await admin('POST', keys, { body: { role: 'publishable', origins: [origin] } });
      assert.equal(refused.status, 400, origin);
      assert.equal(refused.body.error.code, 'validation_failed');
    }
    assert.equal((await admin('POST', keys, { body: { role: 'ingest', origins: [ORIGIN] } })).status, 400);
    const ingest = ok(await admin('POST', keys, { body: { role: 'ingest' } }), 201).body;
    const patched = await admin('PATCH', `${keys}/${ingest.id}`, { body: { origins: [ORIGIN] } });
    assert.equal(patched.status, 409);
    const viewer = ok(await admin('POST', keys, { body: { role: 'viewer' } }), 201).body;
    assert.equal(
      (await server.api('PATCH', `${keys}/${ingest.id}`, { key: viewer.key, body: { origins: [ORIGIN] } }))
        .status,
      403,
    );
  });

  test('it reads nothing and writes nothing but events and triggers', async () => {
    const { key } = await createKey({ origins: [ORIGIN] });
    const bearer = { key, headers: { origin: ORIGIN } };
    for (const [method, path] of [
      ['GET', `/v1/accounts/${account.id}`],
      ['GET', `/v1/accounts/${account.id}/webhooks`],
      ['GET', `/v1/accounts/${account.id}/deliveries`],
      ['GET', `/v1/accounts/${account.id}/keys`],
      ['GET', `/v1/accounts/${account.id}/listen`],
    ] as const) {
      const answer = await server.api(method, path, bearer);
      assert.equal(answer.status, 403, `${method} ${path}`);
      assert.equal(answer.body.error.code, 'forbidden');
    }
    const webhook = await server.api('POST', `/v1/accounts/${account.id}/webhooks`, {
      ...bearer,
      body: { name: 'x', url: receiver.url, events: ['*'] },
    });
    assert.equal(webhook.status, 403);
    // In the query string it counts only where publishable keys are admitted.
    const inQuery = await server.api('GET', `/v1/accounts/${account.id}/webhooks?key=${key}`, { key: null });
    assert.equal(inQuery.status, 401);
    // Other keys never travel in a URL.
    const events = await fromPage('events', account.adminKey, { events: [banner()] });
    assert.equal(events.status, 401);
  });

  test('only from its origins, answered with that origin alone (and preflights too)', async () => {
    const { key } = await createKey({ origins: [ORIGIN, 'http://localhost:5173'] });
    const accepted = ok(await fromPage('events', key, { events: [banner()] }), 202);
    assert.equal(accepted.headers.get('access-control-allow-origin'), ORIGIN);
    assert.equal(accepted.headers.get('vary'), 'Origin');
    assert.match(accepted.headers.get('access-control-expose-headers') ?? '', /retry-after/i);
    const other = ok(
      await fromPage('events', key, { events: [banner()] }, { origin: 'http://localhost:5173' }),
      202,
    );
    assert.equal(other.headers.get('access-control-allow-origin'), 'http://localhost:5173');

    for (const origin of [
      'https://evil.example',
      'https://app.example.com:8443',
      'http://app.example.com',
      null,
    ]) {
      const refused = await fromPage('events', key, { events: [banner()] }, { origin });
      assert.equal(refused.status, 403, String(origin));
      assert.equal(refused.body.error.code, 'origin_not_allowed');
      assert.equal(refused.headers.get('access-control-allow-origin'), null);
    }

    const preflight = await fromPage('events', key, undefined, { method: 'OPTIONS' });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), ORIGIN);
    assert.equal(preflight.headers.get('vary'), 'Origin');
    const triggerPreflight = await fromPage('triggers/x', key, undefined, { method: 'OPTIONS' });
    assert.equal(triggerPreflight.status, 204);
    assert.equal(triggerPreflight.headers.get('access-control-allow-origin'), ORIGIN);
    const refusedPreflight = await fromPage('events', key, undefined, {
      method: 'OPTIONS',
      origin: 'https://evil.example',
    });
    assert.equal(refusedPreflight.status, 403);
    assert.equal(refusedPreflight.headers.get('access-control-allow-origin'), null);
  });

  test('refused events are left out and reported; the rest of the batch is accepted', async () => {
    const defaults = await createKey({ origins: [ORIGIN] });
    const good = banner();
    const custom = banner({ name: 'clicked_pricing', attributes: {} });
    const trigger = banner({ name: 'trigger:onboarding' });
    const invalid = banner({ name: 'appcues:flow_completed', attributes: {} });
    const answer = ok(
      await fromPage('events', defaults.key, { events: [custom, good, trigger, invalid] }),
      202,
    );
    assert.deepEqual(answer.body.ids, [good.id]);
    assert.deepEqual(
      answer.body.refused.map((r: { index: number; id: string }) => [r.index, r.id]),
      [
        [0, custom.id],
        [2, trigger.id],
        [3, invalid.id],
      ],
    );
    assert.match(answer.body.refused[0].reason, /catalog/);

    const listed = await createKey({ origins: [ORIGIN], events: ['clicked_pricing', 'tour_completed'] });
    const mixed = ok(
      await fromPage('events', listed.key, [banner({ name: 'clicked_pricing', attributes: {} }), banner()]),
      202,
    );
    assert.equal(mixed.body.ids.length, 1);
    assert.equal(mixed.body.refused[0].index, 1);
    assert.match(mixed.body.refused[0].reason, /may not send/);
  });

  test('text/plain bodies are read for publishable keys only, with the same JSON checks', async () => {
    const { key } = await createKey({ origins: [ORIGIN] });
    const ingest = ok(
      await admin('POST', `/v1/accounts/${account.id}/keys`, { body: { role: 'ingest' } }),
      201,
    ).body;
    const plain = await server.api('POST', `/v1/accounts/${account.id}/events`, {
      key: ingest.key,
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(banner()),
    });
    assert.equal(plain.status, 415);
    const nul = await fromPage('events', key, JSON.stringify(banner({ user_id: 'a\u0000b' })));
    assert.equal(nul.status, 400);
    const deep = await fromPage('events', key, `${'['.repeat(100)}${']'.repeat(100)}`);
    assert.equal(deep.status, 400);
    const notJson = await fromPage('events', key, '{"events": [');
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.error.code, 'invalid_json');
  });

  test('smaller limits than the API: 64 KiB per request, 100 events', async () => {
    const { key } = await createKey({ origins: [ORIGIN] });
    const many = await fromPage('events', key, { events: Array.from({ length: 101 }, () => banner()) });
    assert.equal(many.status, 400);
    assert.match(many.body.error.message, /at most 100 events/);
    const big = await fromPage('events', key, {
      events: [banner({ attributes: { contentId: 'b', pad: 'x'.repeat(70_000) } })],
    });
    assert.equal(big.status, 413);
    assert.equal(big.headers.get('access-control-allow-origin'), ORIGIN);
  });

  test('429 with Retry-After past the per-client rate, readable by the page', async () => {
    const { key } = await createKey({
      origins: [ORIGIN],
      rate_limit: { per_client: { per_second: 0.5, burst: 2 } },
    });
    ok(await fromPage('events', key, { events: [banner()] }), 202);
    ok(await fromPage('events', key, { events: [banner()] }), 202);
    const limited = await fromPage('events', key, { events: [banner()] });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'rate_limited');
    assert.equal(limited.headers.get('retry-after'), '2');
    assert.equal(limited.headers.get('access-control-allow-origin'), ORIGIN);
    // Another key has its own buckets.
    const other = await createKey({
      origins: [ORIGIN],
      rate_limit: { per_key: { per_second: 1, burst: 1 } },
    });
    ok(await fromPage('events', other.key, { events: [banner()] }), 202);
    const perKey = await fromPage('events', other.key, { events: [banner()] });
    assert.equal(perKey.status, 429);
    assert.equal(perKey.headers.get('retry-after'), '1');
  });

  test('events from the page carry source "browser" and are dated by the server from age_ms', async () => {
    const webhook = ok(
      await admin('POST', `/v1/accounts/${account.id}/webhooks`, {
        body: { name: 'banners', url: `${receiver.url}/banners`, events: ['banner_closed'] },
      }),
      201,
    ).body;
    const { key } = await createKey({ origins: [ORIGIN] });
    const events = [
      banner({ age_ms: 1500 }),
      banner({ age_ms: -50, timestamp: 1 }),
      banner({ age_ms: 1e15 }),
      banner({ account_id: 'acc_other' }),
    ];
    const before = Date.now();
    ok(await fromPage('events', key, { events }), 202);
    const after = Date.now();
    const received = (await receiver.waitFor(4)).filter((r) => r.path === '/banners');
    const bodies = new Map<string, Record<string, number | string>>();
    for (const request of received) {
      const verified = await verify(request.body, request.headers as Record<string, string>, webhook.secret);
      const event = verified.payload as Record<string, number | string>;
      bodies.set(String(event.id), event);
    }
    const [aged, negative, absurd, foreign] = events.map((event) => bodies.get(event.id)!);
    for (const event of [aged, negative, absurd, foreign]) {
      assert.equal(event!.source, 'browser');
      assert.equal('age_ms' in event!, false);
      assert.equal(event!.account_id, account.id);
      assert.ok(Number(event!.ingested_at) >= before && Number(event!.ingested_at) <= after);
    }
    assert.ok(Number(aged!.ingested_at) - Number(aged!.timestamp) >= 1500);
    assert.ok(Number(aged!.ingested_at) - Number(aged!.timestamp) < 1500 + 1000);
    assert.ok(Number(negative!.timestamp) <= Number(negative!.ingested_at));
    assert.ok(Number(negative!.ingested_at) - Number(negative!.timestamp) < 1000);
    const week = 7 * 24 * 3_600_000;
    assert.ok(Number(absurd!.ingested_at) - Number(absurd!.timestamp) >= week);
    assert.ok(Number(absurd!.ingested_at) - Number(absurd!.timestamp) < week + 1000);
    const refused = await fromPage('events', key, { events: [banner({ age_ms: 'soon' })] });
    assert.match(refused.body.refused[0].reason, /age_ms/);
  });

  test('a trigger goes to its webhook alone, with the allowed fields, signed, and the answer names nothing', async () => {
    const target = ok(
      await admin('POST', `/v1/accounts/${account.id}/webhooks`, {
        body: {
          name: 'crm',
          url: `${receiver.url}/crm`,
          events: ['trigger:onboarding'],
          format: 'usetiful',
          headers: { authorization: 'Bearer crm-secret' },
          trigger: { name: 'onboarding', fields: ['role', 'plan'] },
        },
      }),
      201,
    ).body;
    assert.deepEqual(target.trigger, { name: 'onboarding', fields: ['role', 'plan'] });
    const everything = ok(
      await admin('POST', `/v1/accounts/${account.id}/webhooks`, {
        body: { name: 'all', url: `${receiver.url}/all`, events: ['*'] },
      }),
      201,
    ).body;
    const clash = await admin('POST', `/v1/accounts/${account.id}/webhooks`, {
      body: { name: 'again', url: receiver.url, events: ['*'], trigger: { name: 'onboarding', fields: [] } },
    });
    assert.equal(clash.status, 409);
    const noTrigger = await admin('PATCH', `/v1/accounts/${account.id}/webhooks/${everything.id}`, {
      body: { trigger: { name: 'bad name', fields: [] } },
    });
    assert.equal(noTrigger.status, 400);

    const denied = await createKey({ origins: [ORIGIN] });
    const forbidden = await fromPage('triggers/onboarding', denied.key, {
      id: randomUUID(),
      user_id: 'u1',
      data: {},
    });
    assert.equal(forbidden.status, 403);

    const { key } = await createKey({ origins: [ORIGIN], events: ['trigger:onboarding', 'trigger:missing'] });
    const missing = await fromPage('triggers/missing', key, { id: randomUUID(), user_id: 'u1', data: {} });
    assert.equal(missing.status, 404);
    const id = randomUUID();
    const answer = ok(
      await fromPage('triggers/onboarding', key, {
        id,
        user_id: 'user-5821',
        data: { role: 'PM', plan: 'pro', email: 'someone@example.com' },
      }),
      202,
    );
    assert.deepEqual(answer.body, { id });
    assert.equal(answer.headers.get('access-control-allow-origin'), ORIGIN);
    const text = JSON.stringify(answer.body) + [...answer.headers.values()].join(' ');
    assert.doesNotMatch(text, /127\.0\.0\.1|crm-secret|\/crm/);
    // A retry of the same trigger is the same event.
    ok(await fromPage('triggers/onboarding', key, { id, user_id: 'user-5821', data: { role: 'PM' } }), 202);

    const delivered = await receiver.waitFor(receiver.requests.filter((r) => r.path !== '/crm').length + 1);
    const crm = delivered.filter((r) => r.path === '/crm');
    assert.equal(crm.length, 1);
    const verified = await verify(crm[0]!.body, crm[0]!.headers as Record<string, string>, target.secret);
    assert.deepEqual(verified.payload, {
      name: 'crm',
      userId: 'user-5821',
      events: [{ name: 'trigger', trigger: 'onboarding', contentId: null }],
      data: { role: 'PM', plan: 'pro' },
    });
    assert.equal(crm[0]!.headers.authorization, 'Bearer crm-secret');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.requests.filter((r) => r.path === '/crm').length, 1);
    assert.equal(
      receiver.requests.filter((r) => r.path === '/all' && r.body.includes('trigger:')).length,
      0,
      'a trigger never reaches webhooks that are not its target',
    );
    const admins = ok(
      await admin('POST', `/v1/accounts/${account.id}/triggers/onboarding`, {
        body: { id: randomUUID(), user_id: 'u' },
      }),
      403,
    );
    assert.equal(admins.body.error.code, 'forbidden');
  });
});
