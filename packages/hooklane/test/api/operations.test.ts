import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ApiResponse, eventually, startTestServer, type TestServer } from '../helpers/hooklane.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';

const CATALOG_IDS = [
  'nps_score',
  'nps_feedback',
  'flow_started',
  'flow_completed',
  'flow_skipped',
  'flow_button_clicked',
  'flow_form_submitted',
  'checklist_item_completed',
  'checklist_completed',
  'checklist_skipped',
  'checklist_shown',
  'mobile_flow_started',
  'pin_interacted',
  'tour_completed',
  'checklist_dismissed',
  'banner_seen',
  'banner_closed',
  'user_created',
  'user_tag_added',
  'script_tag_set',
  'auto_segment_changed',
];

/** Every `/v1` path and method of the documented API, in OpenAPI spelling. */
const DOCUMENTED_ROUTES: readonly [string, string][] = [
  ['post', '/v1/accounts'],
  ['post', '/v1/accounts/{acc}/keys'],
  ['get', '/v1/accounts/{acc}/keys'],
  ['delete', '/v1/accounts/{acc}/keys/{id}'],
  ['get', '/v1/accounts/{acc}/webhooks'],
  ['post', '/v1/accounts/{acc}/webhooks'],
  ['get', '/v1/accounts/{acc}/webhooks/{id}'],
  ['patch', '/v1/accounts/{acc}/webhooks/{id}'],
  ['delete', '/v1/accounts/{acc}/webhooks/{id}'],
  ['get', '/v1/accounts/{acc}/webhooks/{id}/secret'],
  ['post', '/v1/accounts/{acc}/webhooks/{id}/rotate-secret'],
  ['post', '/v1/accounts/{acc}/webhooks/{id}/test'],
  ['post', '/v1/accounts/{acc}/webhooks/{id}/recover'],
  ['post', '/v1/accounts/{acc}/events'],
  ['get', '/v1/accounts/{acc}/deliveries'],
  ['get', '/v1/accounts/{acc}/deliveries/{id}'],
  ['post', '/v1/accounts/{acc}/deliveries/{id}/retry'],
  ['get', '/v1/accounts/{acc}/listen'],
  ['get', '/v1/event-types'],
];

const flowEvent = (name: string, extra: Record<string, unknown> = {}) => ({
  name: `appcues:${name}`,
  user_id: 'u1',
  attributes: { flowId: 'f1' },
  ...extra,
});

function ok(response: ApiResponse, status = 200): ApiResponse {
  assert.equal(
    response.status,
    status,
    `expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`,
  );
  return response;
}

/** The value of one sample of Prometheus text, e.g. `name{outcome="succeeded"}`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    if (line.slice(0, space) === series) return Number(line.slice(space + 1));
  }
  return undefined;
}

describe('operations endpoints', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.close());

  test('GET /healthz and /readyz', async () => {
    const health = ok(await server.api('GET', '/healthz', { key: null }));
    assert.equal(health.body.status, 'ok');
    const ready = ok(await server.api('GET', '/readyz', { key: null }));
    assert.equal(ready.body.status, 'ready');
  });

  test('GET /v1/event-types lists the 21 catalog types with schema and sample', async () => {
    const types = ok(await server.api('GET', '/v1/event-types', { key: null }));
    assert.ok(Array.isArray(types.body.data));
    assert.deepEqual(
      types.body.data.map((type: { id: string }) => type.id),
      CATALOG_IDS,
    );
    for (const type of types.body.data) {
      assert.equal(typeof type.label, 'string');
      assert.ok(type.label.length > 0, type.id);
      assert.equal(typeof type.schema, 'object', type.id);
      assert.equal(type.schema.type, 'object', type.id);
      assert.equal(typeof type.sample, 'object', type.id);
      assert.equal(typeof type.sample.name, 'string', type.id);
      assert.equal(typeof type.sample.user_id, 'string', type.id);
    }
    const completed = types.body.data.find((type: { id: string }) => type.id === 'flow_completed');
    assert.equal(completed.label, 'Web Flow Completed');
    assert.equal(completed.sample.name, 'appcues:flow_completed');
    // Every sample is an event the server accepts.
    const { id, adminKey } = await server.account();
    const samples = types.body.data.map((type: { sample: Record<string, unknown> }, i: number) => ({
      ...type.sample,
      id: `sample-${i}`,
    }));
    ok(await server.api('POST', `/v1/accounts/${id}/events`, { key: adminKey, body: samples }), 202);
  });

  test('GET /openapi.json is an OpenAPI 3 document with every /v1 path', async () => {
    const document = ok(await server.api('GET', '/openapi.json', { key: null })).body;
    assert.match(String(document.openapi), /^3\./);
    assert.equal(typeof document.info?.title, 'string');
    for (const [method, path] of DOCUMENTED_ROUTES) {
      assert.ok(document.paths[path], `missing path ${path}`);
      assert.ok(document.paths[path][method], `missing ${method.toUpperCase()} ${path}`);
    }
    assert.equal(typeof document.components?.schemas, 'object');
    assert.ok(Object.keys(document.components.schemas).length > 0);
    const create = document.paths['/v1/accounts/{acc}/webhooks'].post;
    assert.ok(create.requestBody, 'create webhook documents its body');
  });

  test('GET /docs serves an HTML page', async () => {
    const response = await fetch(`${server.url}/docs`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await response.text(), /<html/i);
  });
});

describe('metrics', () => {
  const token = 'metrics-token-for-tests';
  let server: TestServer;
  let receiver: Receiver;

  before(async () => {
    // A long retry delay keeps a failed delivery pending, so the pending gauges have something to show.
    server = await startTestServer({ HOOKLANE_METRICS_TOKEN: token, HOOKLANE_RETRY_SCHEDULE: '1h' });
    receiver = await startReceiver((_n, request) => (request.path === '/fail' ? { status: 500 } : undefined));
  });
  after(() => Promise.all([server?.close(), receiver?.close()]));

  const scrape = async () => {
    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    return response.text();
  };

  test('HOOKLANE_METRICS_TOKEN guards /metrics', async () => {
    const without = await server.api('GET', '/metrics', { key: null });
    assert.equal(without.status, 401);
    assert.equal(typeof without.body.error.code, 'string');
    assert.equal((await server.api('GET', '/metrics', { key: 'wrong-token-xxxxxxxx' })).status, 401);
    assert.equal((await server.api('GET', '/metrics', { key: server.rootKey })).status, 401);
    assert.match(await scrape(), /hooklane_events_ingested_total/);
  });

  test('counters, histogram and gauges after deliveries', async () => {
    const initial = await scrape();
    assert.equal(sample(initial, 'hooklane_events_ingested_total'), 0);
    assert.equal(sample(initial, 'hooklane_deliveries_pending'), 0);
    assert.equal(sample(initial, 'hooklane_oldest_pending_delivery_age_seconds'), 0);

    const { id, adminKey } = await server.account();
    for (const path of ['/ok', '/fail']) {
      ok(
        await server.api('POST', `/v1/accounts/${id}/webhooks`, {
          key: adminKey,
          body: { name: path, url: `${receiver.url}${path}`, events: ['flow_started'] },
        }),
        201,
      );
    }
    ok(
      await server.api('POST', `/v1/accounts/${id}/events`, {
        key: adminKey,
        body: flowEvent('flow_started'),
      }),
      202,
    );
    await receiver.waitFor(2);
    const text = await eventually(async () => {
      const body = await scrape();
      const retries = sample(body, 'hooklane_delivery_attempts_total{outcome="retry"}') ?? 0;
      const succeeded = sample(body, 'hooklane_delivery_attempts_total{outcome="succeeded"}') ?? 0;
      // The queue gauges are read at most every 100 ms, so they may lag the counters by one scrape.
      const pending = sample(body, 'hooklane_deliveries_pending');
      return succeeded >= 1 && retries >= 1 && pending === 1 ? body : undefined;
    });
    for (const name of [
      'hooklane_events_ingested_total',
      'hooklane_delivery_attempts_total',
      'hooklane_attempt_duration_seconds',
      'hooklane_deliveries_pending',
      'hooklane_oldest_pending_delivery_age_seconds',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
    assert.equal(sample(text, 'hooklane_events_ingested_total'), 1);
    assert.equal(sample(text, 'hooklane_delivery_attempts_total{outcome="succeeded"}'), 1);
    assert.equal(sample(text, 'hooklane_delivery_attempts_total{outcome="retry"}'), 1);
    assert.equal(sample(text, 'hooklane_attempt_duration_seconds_count{outcome="succeeded"}'), 1);
    const seconds = sample(text, 'hooklane_attempt_duration_seconds_sum{outcome="succeeded"}') ?? -1;
    assert.ok(seconds > 0 && seconds < 5, `attempt took ${seconds} s`);
    assert.equal(sample(text, 'hooklane_attempt_duration_seconds_bucket{le="+Inf",outcome="succeeded"}'), 1);
    // The failed one waits an hour for its retry: one pending delivery, a few seconds old at most.
    assert.equal(sample(text, 'hooklane_deliveries_pending'), 1);
    const age = sample(text, 'hooklane_oldest_pending_delivery_age_seconds') ?? -1;
    assert.ok(age >= 0 && age < 60, `oldest pending age ${age}`);
    // A duplicate event id is not counted again.
    const sent = await server.api('POST', `/v1/accounts/${id}/events`, {
      key: adminKey,
      body: flowEvent('flow_completed', { id: 'dup-1' }),
    });
    ok(sent, 202);
    ok(
      await server.api('POST', `/v1/accounts/${id}/events`, {
        key: adminKey,
        body: flowEvent('flow_completed', { id: 'dup-1' }),
      }),
      202,
    );
    assert.equal(sample(await scrape(), 'hooklane_events_ingested_total'), 2);
  });
});

describe('webhooks, deliveries, keys and listen', () => {
  let server: TestServer;
  let receiver: Receiver;
  let acc: string;
  let adminKey: string;

  before(async () => {
    server = await startTestServer();
    receiver = await startReceiver((_n, request) =>
      request.path.startsWith('/fail') ? { status: 500 } : undefined,
    );
    ({ id: acc, adminKey } = await server.account());
  });
  after(() => Promise.all([server?.close(), receiver?.close()]));

  const api = (method: string, path: string, body?: unknown) =>
    server.api(method, `/v1/accounts/${acc}${path}`, { key: adminKey, body });

  describe('webhook CRUD', () => {
    test('create returns a whsec_ secret once; reads never carry it', async () => {
      const created = ok(
        await api('POST', '/webhooks', {
          name: 'crud',
          url: `${receiver.url}/crud`,
          events: ['flow_completed'],
        }),
        201,
      );
      const { secret } = created.body;
      assert.match(secret, /^whsec_[A-Za-z0-9+/]+={0,2}$/);
      assert.equal(Buffer.from(secret.slice('whsec_'.length), 'base64').length, 32);
      assert.equal(created.body.name, 'crud');
      assert.equal(created.body.url, `${receiver.url}/crud`);
      assert.deepEqual(created.body.events, ['flow_completed']);
      assert.equal(created.body.format, 'appcues');
      assert.equal(created.body.enabled, true);
      assert.equal(created.body.signed, true);
      assert.match(created.body.id, /^[a-z]+_[0-9a-z]+$/);

      const read = ok(await api('GET', `/webhooks/${created.body.id}`));
      assert.equal(Object.hasOwn(read.body, 'secret'), false);
      const { secret: _secret, ...withoutSecret } = created.body;
      assert.deepEqual(read.body, withoutSecret);
      assert.equal(ok(await api('GET', `/webhooks/${created.body.id}/secret`)).body.secret, secret);

      const other = ok(
        await api('POST', '/webhooks', { name: 'b', url: `${receiver.url}/b`, events: ['*'] }),
        201,
      );
      assert.notEqual(other.body.secret, secret);
      const chosen = ok(
        await api('POST', '/webhooks', {
          name: 'c',
          url: `${receiver.url}/c`,
          events: ['*'],
          secret: 'my own secret',
        }),
        201,
      );
      assert.equal(chosen.body.secret, 'my own secret');
      const unsigned = ok(
        await api('POST', '/webhooks', { name: 'd', url: `${receiver.url}/d`, events: ['*'], secret: null }),
        201,
      );
      assert.equal(unsigned.body.secret, null);
      assert.equal(unsigned.body.signed, false);
      const disabled = ok(
        await api('POST', '/webhooks', {
          name: 'e',
          url: `${receiver.url}/e`,
          events: ['*'],
          enabled: false,
        }),
        201,
      );
      assert.equal(disabled.body.enabled, false);
      for (const webhook of [other, chosen, unsigned, disabled])
        ok(await api('DELETE', `/webhooks/${webhook.body.id}`), 204);
      ok(await api('DELETE', `/webhooks/${created.body.id}`), 204);
    });

    test('list paginates with a cursor', async () => {
      const { id, adminKey: key } = await server.account();
      const created: string[] = [];
      for (let i = 0; i < 5; i++) {
        const webhook = await server.api('POST', `/v1/accounts/${id}/webhooks`, {
          key,
          body: { name: `page-${i}`, url: `${receiver.url}/page`, events: ['*'], enabled: false },
        });
        created.push(ok(webhook, 201).body.id);
      }
      const pages: { data: { id: string; secret?: string }[]; next_cursor: string | null }[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${encodeURIComponent(cursor)}`;
        const page = ok(await server.api('GET', `/v1/accounts/${id}/webhooks${query}`, { key }));
        pages.push(page.body);
        cursor = page.body.next_cursor;
        assert.ok(pages.length <= 5, 'pagination terminates');
      } while (cursor !== null);
      assert.deepEqual(
        pages.map((page) => page.data.length),
        [2, 2, 1],
      );
      assert.equal(pages.at(-1)?.next_cursor, null);
      const seen = pages.flatMap((page) => page.data.map((webhook) => webhook.id));
      assert.equal(new Set(seen).size, 5);
      assert.deepEqual([...seen].sort(), [...created].sort());
      for (const page of pages)
        for (const webhook of page.data) assert.equal(Object.hasOwn(webhook, 'secret'), false);
      // The default page holds all five, and nothing of another account.
      const all = ok(await server.api('GET', `/v1/accounts/${id}/webhooks`, { key }));
      assert.equal(all.body.data.length, 5);
      assert.equal(all.body.next_cursor, null);
    });

    test('PATCH merges, toggles enabled, and DELETE removes', async () => {
      const created = ok(
        await api('POST', '/webhooks', {
          name: 'merge',
          url: `${receiver.url}/merge`,
          events: ['flow_completed', 'flow_started'],
          filters: { content_ids: ['f1', 'f2'] },
          format: 'usetiful',
          batch_window_ms: 500,
          headers: { 'x-team': 'growth' },
        }),
        201,
      ).body;
      const id = created.id;
      const { secret: _secret, ...original } = created;

      const renamed = ok(await api('PATCH', `/webhooks/${id}`, { name: 'renamed' })).body;
      const { updated_at: _u1, ...renamedRest } = renamed;
      const { updated_at: _u0, ...originalRest } = original;
      assert.deepEqual(renamedRest, { ...originalRest, name: 'renamed' });
      assert.equal(Object.hasOwn(renamed, 'secret'), false);
      assert.deepEqual(ok(await api('GET', `/webhooks/${id}`)).body, renamed);

      const moved = ok(
        await api('PATCH', `/webhooks/${id}`, { url: `${receiver.url}/moved`, events: ['*'] }),
      ).body;
      assert.equal(moved.url, `${receiver.url}/moved`);
      assert.deepEqual(moved.events, ['*']);
      assert.equal(moved.name, 'renamed');
      assert.equal(moved.format, 'usetiful');
      assert.equal(moved.batch_window_ms, 500);
      assert.deepEqual(moved.headers, { 'x-team': 'growth' });
      assert.deepEqual(moved.filters, { content_ids: ['f1', 'f2'] });

      const off = ok(await api('PATCH', `/webhooks/${id}`, { enabled: false })).body;
      assert.equal(off.enabled, false);
      assert.equal(typeof off.disabled_reason, 'string');
      assert.equal(off.name, 'renamed');
      assert.equal(ok(await api('GET', `/webhooks/${id}`)).body.enabled, false);
      const on = ok(await api('PATCH', `/webhooks/${id}`, { enabled: true })).body;
      assert.equal(on.enabled, true);
      assert.equal(on.disabled_reason, null);
      assert.equal(on.url, `${receiver.url}/moved`);

      const cleared = ok(
        await api('PATCH', `/webhooks/${id}`, { filters: { content_ids: null }, headers: {} }),
      ).body;
      assert.deepEqual(cleared.filters, { content_ids: null });
      assert.deepEqual(cleared.headers, {});
      // The secret survives every patch.
      assert.equal(ok(await api('GET', `/webhooks/${id}/secret`)).body.secret, created.secret);

      ok(await api('DELETE', `/webhooks/${id}`), 204);
      assert.equal((await api('GET', `/webhooks/${id}`)).status, 404);
      assert.equal((await api('PATCH', `/webhooks/${id}`, { name: 'ghost' })).status, 404);
      assert.equal((await api('GET', `/webhooks/${id}/secret`)).status, 404);
      assert.equal((await api('DELETE', `/webhooks/${id}`)).status, 404);
      const list = ok(await api('GET', '/webhooks'));
      assert.ok(list.body.data.every((webhook: { id: string }) => webhook.id !== id));
    });
  });

  describe('deliveries', () => {
    test('list filters, pagination, and one delivery with its attempts', async () => {
      const { id, adminKey: key } = await server.account();
      const call = (method: string, path: string, body?: unknown) =>
        server.api(method, `/v1/accounts/${id}${path}`, { key, body });
      const good = ok(
        await call('POST', '/webhooks', { name: 'good', url: `${receiver.url}/good`, events: ['*'] }),
        201,
      ).body.id;
      const bad = ok(
        await call('POST', '/webhooks', { name: 'bad', url: `${receiver.url}/fail-d`, events: ['*'] }),
        201,
      ).body.id;
      ok(
        await call('POST', '/events', [
          flowEvent('flow_started', { id: 'evt-1' }),
          flowEvent('flow_completed', { id: 'evt-2' }),
        ]),
        202,
      );

      const list = async (query: string) => {
        const response = ok(await call('GET', `/deliveries${query}`));
        return response.body.data as { id: string; webhook_id: string; event_id: string; status: string }[];
      };
      // The test schedule is 100ms x3: the bad webhook's deliveries fail after 4 attempts.
      await eventually(
        async () => {
          const all = await list('');
          return all.length === 4 && all.every((d) => d.status !== 'pending') ? all : undefined;
        },
        10_000,
        'four terminal deliveries',
      );
      await sleep(10);
      const mark = new Date();
      await sleep(10);
      ok(await call('POST', '/events', flowEvent('flow_skipped', { id: 'evt-3' })), 202);
      await eventually(async () =>
        (await list('?status=pending')).length === 0 && (await list('')).length === 6 ? true : undefined,
      );

      const all = await list('');
      assert.equal(all.length, 6);
      const ids = all.map((d) => d.id);
      assert.deepEqual(ids, [...ids].sort().reverse(), 'newest first');

      const byWebhook = await list(`?webhook_id=${good}`);
      assert.equal(byWebhook.length, 3);
      assert.ok(byWebhook.every((d) => d.webhook_id === good));
      const byEvent = await list('?event_id=evt-1');
      assert.equal(byEvent.length, 2);
      assert.ok(byEvent.every((d) => d.event_id === 'evt-1'));
      assert.deepEqual(
        (await list(`?event_id=evt-2&webhook_id=${bad}`)).map((d) => [d.webhook_id, d.event_id]),
        [[bad, 'evt-2']],
      );
      assert.deepEqual(await list('?event_id=no-such-event'), []);

      const succeeded = await list('?status=succeeded');
      assert.equal(succeeded.length, 3);
      assert.ok(succeeded.every((d) => d.webhook_id === good && d.status === 'succeeded'));
      const failed = await list('?status=failed');
      assert.equal(failed.length, 3);
      assert.ok(failed.every((d) => d.webhook_id === bad && d.status === 'failed'));
      assert.deepEqual(await list('?status=pending'), []);
      assert.deepEqual(await list('?status=cancelled'), []);
      assert.equal((await list(`?status=failed&webhook_id=${good}`)).length, 0);

      const since = await list(`?since=${encodeURIComponent(mark.toISOString())}`);
      assert.deepEqual(since.map((d) => d.event_id).sort(), ['evt-3', 'evt-3']);
      const until = await list(`?until=${encodeURIComponent(mark.toISOString())}`);
      assert.deepEqual(until.map((d) => d.event_id).sort(), ['evt-1', 'evt-1', 'evt-2', 'evt-2']);
      assert.deepEqual(
        await list(`?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`),
        [],
      );
      assert.deepEqual(await list('?until=2000-01-01T00:00:00Z'), []);
      const window = await list(
        `?since=2000-01-01T00:00:00Z&until=${encodeURIComponent(mark.toISOString())}&webhook_id=${good}`,
      );
      assert.equal(window.length, 2);

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor === null ? '?limit=4' : `?limit=4&cursor=${encodeURIComponent(cursor)}`;
        const page = ok(await call('GET', `/deliveries${query}`));
        assert.ok(page.body.data.length <= 4);
        seen.push(...page.body.data.map((d: { id: string }) => d.id));
        cursor = page.body.next_cursor;
        pages++;
        assert.ok(pages <= 4, 'pagination terminates');
      } while (cursor !== null);
      assert.equal(pages, 2);
      assert.deepEqual(seen, ids);
      const filteredPage = ok(await call('GET', `/deliveries?limit=1&webhook_id=${bad}`));
      assert.equal(filteredPage.body.data.length, 1);
      const next = ok(
        await call(
          'GET',
          `/deliveries?limit=5&webhook_id=${bad}&cursor=${encodeURIComponent(filteredPage.body.next_cursor)}`,
        ),
      );
      assert.equal(next.body.data.length, 2);
      assert.equal(next.body.next_cursor, null);
      assert.ok(next.body.data.every((d: { webhook_id: string }) => d.webhook_id === bad));

      const goodDelivery = succeeded.find((d) => d.event_id === 'evt-1')!;
      const one = ok(await call('GET', `/deliveries/${goodDelivery.id}`)).body;
      assert.equal(one.id, goodDelivery.id);
      assert.equal(one.status, 'succeeded');
      assert.deepEqual(one.event_ids, ['evt-1']);
      assert.equal(one.attempts.length, 1);
      const [attempt] = one.attempts;
      assert.equal(attempt.number, 1);
      assert.equal(attempt.response.status, 204);
      assert.equal(attempt.url, `${receiver.url}/good`);
      assert.equal(typeof attempt.duration_ms, 'number');
      assert.equal(attempt.error, null);
      assert.equal(typeof attempt.request.headers['webhook-id'], 'string');
      assert.equal(JSON.parse(attempt.request.body).id, 'evt-1');

      const badDelivery = failed.find((d) => d.event_id === 'evt-1')!;
      const failedOne = ok(await call('GET', `/deliveries/${badDelivery.id}`)).body;
      assert.equal(failedOne.status, 'failed');
      assert.equal(failedOne.attempts.length, 4);
      assert.deepEqual(
        failedOne.attempts.map((a: { number: number }) => a.number),
        [1, 2, 3, 4],
      );
      assert.ok(failedOne.attempts.every((a: { response: { status: number } }) => a.response.status === 500));
      assert.equal(failedOne.attempts.at(-1).next_attempt_at, null);
      assert.equal((await call('GET', '/deliveries/dlv_0000000000000000000000000')).status, 404);
    });

    test('POST .../test sends the catalog sample to that webhook only', async () => {
      const { id, adminKey: key } = await server.account();
      const call = (method: string, path: string, body?: unknown) =>
        server.api(method, `/v1/accounts/${id}${path}`, { key, body });
      const target = ok(
        await call('POST', '/webhooks', {
          name: 'target',
          url: `${receiver.url}/test-target`,
          events: ['nps_score'],
        }),
        201,
      ).body;
      ok(
        await call('POST', '/webhooks', {
          name: 'bystander',
          url: `${receiver.url}/test-bystander`,
          events: ['*'],
        }),
        201,
      );
      const catalog = ok(await server.api('GET', '/v1/event-types', { key: null })).body.data;
      const flowCompleted = catalog.find((type: { id: string }) => type.id === 'flow_completed');

      const before = receiver.requests.length;
      const delivery = ok(
        await call('POST', `/webhooks/${target.id}/test`, { event_type: 'flow_completed' }),
        202,
      ).body;
      assert.equal(delivery.webhook_id, target.id);
      const request = await eventually(() =>
        receiver.requests.slice(before).find((r) => r.path === '/test-target'),
      );
      const body = JSON.parse(request.body);
      assert.equal(body.name, flowCompleted.sample.name);
      assert.equal(body.user_id, flowCompleted.sample.user_id);
      assert.deepEqual(body.attributes, flowCompleted.sample.attributes);
      assert.equal(body.account_id, id);
      assert.match(body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.notEqual(body.id, flowCompleted.sample.id);
      assert.equal(delivery.event_id, body.id);
      assert.equal(typeof request.headers['webhook-signature'], 'string');

      // A second test is a fresh event.
      ok(await call('POST', `/webhooks/${target.id}/test`, { event_type: 'flow_completed' }), 202);
      const second = await eventually(() => {
        const hits = receiver.requests.slice(before).filter((r) => r.path === '/test-target');
        return hits.length >= 2 ? hits[1] : undefined;
      });
      assert.notEqual(JSON.parse(second.body).id, body.id);

      await sleep(300);
      assert.equal(receiver.requests.slice(before).filter((r) => r.path === '/test-bystander').length, 0);
      const bystanderDeliveries = ok(await call('GET', '/deliveries')).body.data;
      assert.ok(bystanderDeliveries.every((d: { webhook_id: string }) => d.webhook_id === target.id));

      const unknown = await call('POST', `/webhooks/${target.id}/test`, { event_type: 'no_such_type' });
      assert.equal(unknown.status, 400);
      assert.equal(typeof unknown.body.error.code, 'string');
      assert.equal(
        (await call('POST', '/webhooks/wh_0000000000000000000000000/test', { event_type: 'flow_completed' }))
          .status,
        404,
      );
    });
  });

  describe('keys', () => {
    test('create, list and revoke', async () => {
      const { id, adminKey: key } = await server.account();
      const call = (method: string, path: string, body?: unknown) =>
        server.api(method, `/v1/accounts/${id}${path}`, { key, body });
      const created: Record<string, { id: string; key: string }> = {};
      for (const role of ['admin', 'viewer', 'ingest']) {
        const response = ok(await call('POST', '/keys', { role, name: `${role} key` }), 201).body;
        assert.equal(response.role, role);
        assert.equal(response.name, `${role} key`);
        assert.equal(typeof response.key, 'string');
        assert.equal(response.revoked_at, null);
        assert.ok(response.key.startsWith(response.prefix));
        created[role] = response;
      }
      const unnamed = ok(await call('POST', '/keys', { role: 'viewer' }), 201).body;
      assert.equal(unnamed.name, null);

      const list = ok(await call('GET', '/keys')).body;
      assert.equal(list.data.length, 5);
      assert.equal(list.next_cursor, null);
      for (const listed of list.data) {
        assert.equal(Object.hasOwn(listed, 'key'), false);
        assert.equal(typeof listed.prefix, 'string');
      }

      ok(await call('DELETE', `/keys/${created.viewer!.id}`), 204);
      const after = ok(await call('GET', '/keys')).body.data;
      const revoked = after.find((k: { id: string }) => k.id === created.viewer!.id);
      assert.equal(typeof revoked.revoked_at, 'string');
      assert.ok(!Number.isNaN(Date.parse(revoked.revoked_at)));
      assert.equal(
        (await server.api('GET', `/v1/accounts/${id}/webhooks`, { key: created.viewer!.key })).status,
        401,
      );
      assert.equal(
        (await server.api('GET', `/v1/accounts/${id}/webhooks`, { key: unnamed.key })).status,
        200,
      );
      assert.equal((await call('DELETE', '/keys/key_0000000000000000000000000')).status, 404);

      // The new admin key manages keys too.
      const byNewAdmin = await server.api('DELETE', `/v1/accounts/${id}/keys/${created.ingest!.id}`, {
        key: created.admin!.key,
      });
      assert.equal(byNewAdmin.status, 204);
      assert.equal(
        (
          await server.api('POST', `/v1/accounts/${id}/events`, {
            key: created.ingest!.key,
            body: flowEvent('flow_started'),
          })
        ).status,
        401,
      );
    });
  });

  describe('listen (SSE)', () => {
    interface Message {
      readonly event?: string;
      readonly id?: string;
      readonly data?: string;
      readonly comments: string[];
    }

    async function openStream(query = '') {
      const controller = new AbortController();
      const response = await fetch(`${server.url}/v1/accounts/${acc}/listen${query}`, {
        headers: { authorization: `Bearer ${adminKey}` },
        signal: controller.signal,
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      const reader = (response.body as ReadableStream<Uint8Array>)
        .pipeThrough(new TextDecoderStream())
        .getReader();
      let buffer = '';
      const parse = (block: string): Message => {
        const message: { event?: string; id?: string; data?: string; comments: string[] } = { comments: [] };
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) message.comments.push(line.slice(1).trim());
          else {
            const colon = line.indexOf(':');
            const field = line.slice(0, colon);
            const value = line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') message.event = value;
            else if (field === 'id') message.id = value;
            else if (field === 'data')
              message.data = message.data === undefined ? value : `${message.data}\n${value}`;
          }
        }
        return message;
      };
      const next = async (timeoutMs = 5_000): Promise<Message> => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const end = buffer.indexOf('\n\n');
          if (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            return parse(block);
          }
          const remaining = deadline - Date.now();
          if (remaining <= 0) throw new Error('no SSE message in time');
          let timer: NodeJS.Timeout | undefined;
          const chunk = await Promise.race([
            reader.read(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error('no SSE message in time')), remaining);
            }),
          ]).finally(() => clearTimeout(timer));
          if (chunk.done) throw new Error('the stream ended');
          buffer += chunk.value;
        }
      };
      /** The next `event: event` message, skipping comments (keep-alives). */
      const nextEvent = async () => {
        for (;;) {
          const message = await next();
          if (message.event !== undefined) return message;
        }
      };
      const close = async () => {
        controller.abort();
        await reader.cancel().catch(() => {});
      };
      // The server subscribes before it says it is connected.
      const first = await next();
      assert.deepEqual(first.comments, ['connected']);
      return { nextEvent, next, close };
    }

    test('streams ingested events', async () => {
      const stream = await openStream();
      try {
        const sent = ok(
          await api('POST', '/events', flowEvent('flow_started', { id: 'listen-1', custom: 'kept' })),
          202,
        );
        const message = await stream.nextEvent();
        assert.equal(message.event, 'event');
        assert.equal(message.id, 'listen-1');
        const data = JSON.parse(message.data ?? 'null');
        assert.equal(data.type, 'flow_started');
        assert.equal(data.event.id, sent.body.ids[0]);
        assert.equal(data.event.name, 'appcues:flow_started');
        assert.equal(data.event.custom, 'kept');
        assert.equal(data.event.account_id, acc);
        assert.equal(typeof data.event.ingested_at, 'number');

        ok(await api('POST', '/events', { name: 'my_custom_event', user_id: 'u2', id: 'listen-2' }), 202);
        const custom = JSON.parse((await stream.nextEvent()).data ?? 'null');
        assert.equal(custom.type, null);
        assert.equal(custom.event.name, 'my_custom_event');
      } finally {
        await stream.close();
      }
    });

    test('a large batch reaches the stream whole and in order (notifications are chunked)', async () => {
      const stream = await openStream();
      try {
        // 300 ids of 48 characters: more than one NOTIFY payload's worth on PostgreSQL.
        const ids = Array.from({ length: 300 }, (_, i) => `listen-batch-${String(i).padStart(35, '0')}`);
        ok(
          await api(
            'POST',
            '/events',
            ids.map((id) => ({ name: 'bulk_custom', user_id: 'u3', id })),
          ),
          202,
        );
        const received: string[] = [];
        while (received.length < ids.length) received.push(String((await stream.nextEvent()).id));
        assert.deepEqual(received, ids);
      } finally {
        await stream.close();
      }
    });

    test('?events= filters by type', async () => {
      const stream = await openStream('?events=flow_completed');
      try {
        ok(await api('POST', '/events', flowEvent('flow_started', { id: 'filter-1' })), 202);
        ok(await api('POST', '/events', { name: 'other_custom', user_id: 'u1', id: 'filter-2' }), 202);
        ok(await api('POST', '/events', flowEvent('flow_completed', { id: 'filter-3' })), 202);
        const message = await stream.nextEvent();
        const data = JSON.parse(message.data ?? 'null');
        assert.equal(data.type, 'flow_completed');
        assert.equal(data.event.id, 'filter-3');
      } finally {
        await stream.close();
      }
    });

    test('needs an admin key of the account', async () => {
      const noKey = await server.api('GET', `/v1/accounts/${acc}/listen`, { key: null });
      assert.equal(noKey.status, 401);
      const other = await server.account();
      const foreign = await server.api('GET', `/v1/accounts/${acc}/listen`, { key: other.adminKey });
      assert.equal(foreign.status, 404);
    });
  });
});
