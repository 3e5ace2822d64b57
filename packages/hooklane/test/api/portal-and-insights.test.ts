import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ApiResponse,
  eventually,
  startTestServer,
  TEST_BACKEND,
  type TestServer,
} from '../helpers/hooklane.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';

function assertError(response: ApiResponse, status: number, code: string): void {
  assert.equal(
    response.status,
    status,
    `expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`,
  );
  assert.equal(response.body?.error?.code, code, JSON.stringify(response.body));
  assert.equal(typeof response.body.error.message, 'string');
}

const flowStarted = (id: string, flowId = 'f1') => ({
  id,
  name: 'appcues:flow_started',
  user_id: 'u1',
  attributes: { flowId, flowName: 'Welcome' },
});

describe('account stats, event routing, recover dry run and portal sessions', () => {
  let server: TestServer;
  let receiver: Receiver;
  let acc: string;
  let admin: string;
  let other: { id: string; adminKey: string };
  const hooks: Record<string, string> = {};
  const api = (method: string, path: string, options: { key?: string | null; body?: unknown } = {}) =>
    server.api(method, path, { key: admin, ...options });
  const session = async (capabilities: string[], extra: Record<string, unknown> = {}) => {
    const created = await api('POST', `/v1/accounts/${acc}/portal-sessions`, {
      body: { capabilities, ...extra },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body as {
      id: string;
      url: string;
      token: string;
      expires_at: string;
      capabilities: string[];
    };
  };

  before(async () => {
    server = await startTestServer();
    // `/fail` always answers 500, so its deliveries fail once the retries are spent.
    receiver = await startReceiver((_n, request) =>
      request.path.startsWith('/fail') ? { status: 500 } : undefined,
    );
    ({ id: acc, adminKey: admin } = await server.account());
    other = await server.account();
    const create = async (name: string, body: Record<string, unknown>) => {
      const created = await api('POST', `/v1/accounts/${acc}/webhooks`, {
        body: { name, url: `${receiver.url}/${name}`, events: ['*'], ...body },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      hooks[name] = created.body.id;
    };
    await create('ok', {});
    await create('fail', {});
    await create('filtered', { filters: { content_ids: ['f2'] } });
    await create('typed', { events: ['flow_completed'] });
    await create('off', { enabled: false });
    const sent = await api('POST', `/v1/accounts/${acc}/events`, {
      body: [flowStarted('ev_1'), flowStarted('ev_2')],
    });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    // Every delivery settled: 2 succeeded, 2 failed after their retries.
    await eventually(
      async () => {
        const pending = await api('GET', `/v1/accounts/${acc}/deliveries?status=pending`);
        const all = await api('GET', `/v1/accounts/${acc}/deliveries`);
        return all.body.data.length === 4 && pending.body.data.length === 0 ? true : undefined;
      },
      20_000,
      'the deliveries to settle',
    );
    await sleep(10);
    await create('later', {});
  });
  after(() => Promise.all([server?.close(), receiver?.close()]));

  describe('stats', () => {
    test('the last 24 h by hour and outcome, per webhook, with the webhooks failing now', async () => {
      const stats = await api('GET', `/v1/accounts/${acc}/stats`);
      assert.equal(stats.status, 200, JSON.stringify(stats.body));
      const body = stats.body;
      assert.equal(body.bucket, 'hour');
      assert.equal(body.buckets.length, 24);
      assert.equal(Date.parse(body.until) - Date.parse(body.since), 24 * 3_600_000);
      assert.ok(Date.parse(body.until) > Date.now(), 'the current hour is the last bucket');
      assert.deepEqual(body.totals, {
        succeeded: 2,
        failed: 2,
        retrying: 0,
        pending: 0,
        cancelled: 0,
        total: 4,
      });
      assert.equal(body.success_rate, 0.5);
      const current = body.buckets.at(-1);
      assert.equal(current.succeeded + current.failed, 4, 'counted in the hour they were created');
      const ok = body.webhooks.find((w: { id: string }) => w.id === hooks.ok);
      const fail = body.webhooks.find((w: { id: string }) => w.id === hooks.fail);
      const filtered = body.webhooks.find((w: { id: string }) => w.id === hooks.filtered);
      assert.equal(ok.success_rate, 1);
      assert.equal(ok.totals.total, 2);
      assert.equal(ok.buckets.length, 24);
      assert.deepEqual(ok.buckets.at(-1), { start: current.start, count: 2, success_rate: 1 });
      assert.equal(typeof ok.last_delivery_at, 'string');
      assert.equal(ok.failing_since, null);
      assert.equal(fail.success_rate, 0);
      assert.equal(typeof fail.failing_since, 'string');
      assert.equal(filtered.last_delivery_at, null);
      assert.equal(filtered.success_rate, null, 'nothing settled');
      assert.deepEqual(
        body.failing.map((w: { id: string }) => w.id),
        [hooks.fail],
      );
      assert.equal(body.oldest_pending, null);
      assert.equal(body.webhooks.length, 6);
    });

    test('a window and day buckets; a viewer reads them; bad windows are refused', async () => {
      const since = new Date(Date.now() - 2 * 86_400_000).toISOString();
      const until = new Date(Date.now() + 1000).toISOString();
      const byDay = await api('GET', `/v1/accounts/${acc}/stats?since=${since}&until=${until}&bucket=day`);
      assert.equal(byDay.status, 200, JSON.stringify(byDay.body));
      assert.equal(byDay.body.buckets.length, 3);
      assert.equal(byDay.body.totals.total, 4);
      const viewer = await api('POST', `/v1/accounts/${acc}/keys`, { body: { role: 'viewer' } });
      assert.equal((await api('GET', `/v1/accounts/${acc}/stats`, { key: viewer.body.key })).status, 200);
      const ingest = await api('POST', `/v1/accounts/${acc}/keys`, { body: { role: 'ingest' } });
      assertError(await api('GET', `/v1/accounts/${acc}/stats`, { key: ingest.body.key }), 403, 'forbidden');
      assertError(
        await api('GET', `/v1/accounts/${acc}/stats?since=${until}&until=${since}`),
        400,
        'validation_failed',
      );
      const long = new Date(Date.now() - 40 * 86_400_000).toISOString();
      assertError(await api('GET', `/v1/accounts/${acc}/stats?since=${long}`), 400, 'validation_failed');
      assert.equal((await api('GET', `/v1/accounts/${acc}/stats?since=${long}&bucket=day`)).status, 200);
      assertError(await api('GET', `/v1/accounts/${acc}/stats?bucket=week`), 400, 'validation_failed');
      assertError(await api('GET', `/v1/accounts/${acc}/stats?since=yesterday`), 400, 'validation_failed');
      assertError(await api('GET', `/v1/accounts/${acc}/stats?limit=3`), 400, 'unknown_query_parameter');
      assertError(await api('GET', `/v1/accounts/${other.id}/stats`), 404, 'not_found');
    });
  });

  describe('routing', () => {
    test('each webhook: delivered with its delivery, or why not', async () => {
      const routing = await api('GET', `/v1/accounts/${acc}/events/ev_1/routing`);
      assert.equal(routing.status, 200, JSON.stringify(routing.body));
      assert.equal(routing.body.event_id, 'ev_1');
      const of = (name: string) =>
        routing.body.webhooks.find((w: { webhook_id: string }) => w.webhook_id === hooks[name]);
      assert.equal(of('ok').delivered, true);
      assert.equal(of('ok').delivery.status, 'succeeded');
      const listed = await api('GET', `/v1/accounts/${acc}/deliveries?event_id=ev_1&webhook_id=${hooks.ok}`);
      assert.equal(of('ok').delivery.id, listed.body.data[0].id);
      assert.equal(of('ok').reason, null);
      assert.equal(of('fail').delivery.status, 'failed');
      assert.deepEqual(
        ['filtered', 'typed', 'off', 'later'].map((name) => [name, of(name).delivered, of(name).reason]),
        [
          ['filtered', false, 'content_filter'],
          ['typed', false, 'type_not_subscribed'],
          ['off', false, 'disabled'],
          ['later', false, 'created_after_event'],
        ],
      );
      assert.equal(of('filtered').changed_since_event, false);
    });

    test('an edited webhook says its reason reads today’s settings; unknown events are 404', async () => {
      const patched = await api('PATCH', `/v1/accounts/${acc}/webhooks/${hooks.typed}`, {
        body: { events: ['flow_completed', 'flow_started'] },
      });
      assert.equal(patched.status, 200);
      const routing = await api('GET', `/v1/accounts/${acc}/events/ev_2/routing`);
      const typed = routing.body.webhooks.find((w: { webhook_id: string }) => w.webhook_id === hooks.typed);
      assert.deepEqual([typed.reason, typed.changed_since_event], ['no_delivery', true]);
      assertError(await api('GET', `/v1/accounts/${acc}/events/nope/routing`), 404, 'not_found');
      assertError(
        await api('GET', `/v1/accounts/${other.id}/events/ev_1/routing`, { key: other.adminKey }),
        404,
        'not_found',
      );
    });
  });

  describe('recover', () => {
    test('a dry run counts what recover would re-queue and changes nothing', async () => {
      const since = new Date(Date.now() - 3_600_000).toISOString();
      const path = `/v1/accounts/${acc}/webhooks/${hooks.fail}/recover`;
      const dry = await api('POST', path, { body: { since, dry_run: true } });
      assert.equal(dry.status, 200, JSON.stringify(dry.body));
      assert.deepEqual(dry.body, { recovered: 2, dry_run: true });
      await sleep(300);
      const failed = await api(
        'GET',
        `/v1/accounts/${acc}/deliveries?status=failed&webhook_id=${hooks.fail}`,
      );
      assert.equal(failed.body.data.length, 2, 'still failed');
      assert.equal(receiver.requests.filter((r) => r.path === '/fail').length, 8, 'no attempt more');
      assertError(await api('POST', path, { body: { since, dry_run: 'yes' } }), 400, 'validation_failed');
      assertError(await api('POST', path, { body: { since, dryRun: true } }), 400, 'validation_failed');
      assertError(
        await api('POST', `/v1/accounts/${acc}/webhooks/${hooks.off}/recover`, {
          body: { since, dry_run: true },
        }),
        409,
        'conflict',
      );
      const real = await api('POST', path, { body: { since, dry_run: false } });
      assert.equal(real.status, 202);
      assert.deepEqual(real.body, { recovered: 2 });
    });
  });

  describe('portal sessions', () => {
    test('an admin creates one: a link with the token in its fragment, 1 h by default', async () => {
      const created = await session(['read'], { name: 'Acme customer' });
      assert.match(created.token, /^hls_[A-Za-z0-9_-]{43}$/);
      assert.equal(created.url, `${server.url}/portal#token=${created.token}`);
      const ttl = Date.parse(created.expires_at) - Date.now();
      assert.ok(ttl > 3_590_000 && ttl <= 3_600_000, `${ttl}`);
      const me = await api('GET', '/v1/me', { key: created.token });
      assert.equal(me.status, 200);
      assert.deepEqual([me.body.account_id, me.body.role, me.body.key_id], [acc, 'viewer', created.id]);
      const own = await api('GET', '/v1/portal-session', { key: created.token });
      assert.equal(own.status, 200, JSON.stringify(own.body));
      assert.deepEqual(own.body, {
        id: created.id,
        account_id: acc,
        capabilities: ['read'],
        name: 'Acme customer',
        expires_at: created.expires_at,
      });
      assertError(await api('GET', '/v1/portal-session'), 404, 'not_found');
    });

    test('the link starts with HOOKLANE_PUBLIC_URL when it is set', async () => {
      const behindProxy = await startTestServer({ HOOKLANE_PUBLIC_URL: 'https://hooks.example.com/' });
      try {
        const account = await behindProxy.account();
        const created = await behindProxy.api('POST', `/v1/accounts/${account.id}/portal-sessions`, {
          key: account.adminKey,
          body: { capabilities: ['read'] },
        });
        assert.equal(created.status, 201);
        assert.equal(created.body.url, `https://hooks.example.com/portal#token=${created.body.token}`);
      } finally {
        await behindProxy.close();
      }
    });

    test('bad requests are refused: ttl beyond 7 d, unknown capabilities or fields, non-admins', async () => {
      const path = `/v1/accounts/${acc}/portal-sessions`;
      assertError(
        await api('POST', path, { body: { capabilities: ['read'], ttl: '8d' } }),
        400,
        'validation_failed',
      );
      assertError(
        await api('POST', path, { body: { capabilities: ['read'], ttl: '0s' } }),
        400,
        'validation_failed',
      );
      assertError(
        await api('POST', path, { body: { capabilities: ['read'], ttl: 'soon' } }),
        400,
        'validation_failed',
      );
      assertError(await api('POST', path, { body: { capabilities: ['write'] } }), 400, 'validation_failed');
      assertError(await api('POST', path, { body: { capabilities: [] } }), 400, 'validation_failed');
      assertError(
        await api('POST', path, { body: { capabilities: ['read'], role: 'admin' } }),
        400,
        'validation_failed',
      );
      const week = await api('POST', path, { body: { capabilities: ['read'], ttl: '7d' } });
      assert.equal(week.status, 201);
      const viewer = await api('POST', `/v1/accounts/${acc}/keys`, { body: { role: 'viewer' } });
      assertError(
        await api('POST', path, { key: viewer.body.key, body: { capabilities: ['read'] } }),
        403,
        'forbidden',
      );
      // A session cannot make sessions, even with every capability.
      const all = await session(['read', 'manage_webhooks', 'read_secrets', 'retry']);
      assertError(
        await api('POST', path, { key: all.token, body: { capabilities: ['read'] } }),
        403,
        'forbidden',
      );
      assertError(await api('DELETE', path, { key: all.token }), 403, 'forbidden');
    });

    test('a read session reads, and cannot edit, see a secret, retry, ingest or manage keys', async () => {
      const { token } = await session(['read']);
      const hook = `/v1/accounts/${acc}/webhooks/${hooks.ok}`;
      assert.equal((await api('GET', `/v1/accounts/${acc}/webhooks`, { key: token })).status, 200);
      assert.equal((await api('GET', hook, { key: token })).status, 200);
      assert.equal((await api('GET', `/v1/accounts/${acc}/deliveries`, { key: token })).status, 200);
      assert.equal((await api('GET', `/v1/accounts/${acc}/stats`, { key: token })).status, 200);
      assert.equal((await api('GET', `/v1/accounts/${acc}/events/ev_1/routing`, { key: token })).status, 200);
      const delivery = (await api('GET', `/v1/accounts/${acc}/deliveries`)).body.data[0].id;
      for (const [method, path, body] of [
        ['PATCH', hook, { name: 'renamed' }],
        ['DELETE', hook, undefined],
        ['GET', `${hook}/secret`, undefined],
        ['POST', `${hook}/rotate-secret`, {}],
        ['POST', `/v1/accounts/${acc}/webhooks`, { name: 'x', url: `${receiver.url}/x`, events: ['*'] }],
        ['POST', `/v1/accounts/${acc}/deliveries/${delivery}/retry`, undefined],
        ['POST', `${hook}/recover`, { since: new Date(0).toISOString() }],
        ['POST', `/v1/accounts/${acc}/events`, flowStarted('ev_portal')],
        ['GET', `/v1/accounts/${acc}/keys`, undefined],
        ['GET', `/v1/accounts/${acc}/listen`, undefined],
      ] as const) {
        assertError(await api(method, path, { key: token, body }), 403, 'forbidden');
      }
      assert.equal((await api('GET', hook)).body.name, 'ok', 'nothing changed');
    });

    test('read_secrets shows secrets, manage_webhooks edits, retry retries', async () => {
      const hook = `/v1/accounts/${acc}/webhooks/${hooks.ok}`;
      const secrets = await session(['read', 'read_secrets']);
      const secret = await api('GET', `${hook}/secret`, { key: secrets.token });
      assert.equal(secret.status, 200);
      assert.match(secret.body.secret, /^whsec_/);

      const manage = await session(['read', 'manage_webhooks']);
      const patched = await api('PATCH', hook, { key: manage.token, body: { name: 'ok renamed' } });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.equal(patched.body.name, 'ok renamed');
      assertError(await api('GET', `${hook}/secret`, { key: manage.token }), 403, 'forbidden');
      const created = await api('POST', `/v1/accounts/${acc}/webhooks`, {
        key: manage.token,
        body: { name: 'by portal', url: `${receiver.url}/portal`, events: ['*'], enabled: false },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.signed, true);
      assert.equal('secret' in created.body, false, 'no secret without read_secrets');

      const retry = await session(['retry']);
      const delivery = (await api('GET', `/v1/accounts/${acc}/deliveries?webhook_id=${hooks.ok}`)).body
        .data[0].id;
      const retried = await api('POST', `/v1/accounts/${acc}/deliveries/${delivery}/retry`, {
        key: retry.token,
      });
      assert.equal(retried.status, 202, JSON.stringify(retried.body));
      assertError(await api('GET', `/v1/accounts/${acc}/webhooks`, { key: retry.token }), 403, 'forbidden');
    });

    test('a token is never accepted for another account', async () => {
      const { token } = await session(['read', 'manage_webhooks', 'read_secrets', 'retry']);
      assertError(await api('GET', `/v1/accounts/${other.id}/webhooks`, { key: token }), 404, 'not_found');
      assertError(await api('GET', `/v1/accounts/${other.id}/stats`, { key: token }), 404, 'not_found');
      assertError(await api('GET', `/v1/accounts/${other.id}`, { key: token }), 404, 'not_found');
      assertError(await api('POST', '/v1/accounts', { key: token, body: { name: 'x' } }), 403, 'forbidden');
    });

    test('a session expires', async () => {
      const { token } = await session(['read'], { ttl: '1s' });
      assert.equal((await api('GET', `/v1/accounts/${acc}/webhooks`, { key: token })).status, 200);
      await sleep(1100);
      assertError(await api('GET', `/v1/accounts/${acc}/webhooks`, { key: token }), 401, 'unauthorized');
    });

    test('revoking ends every session of the account at once, and no other account’s', async () => {
      const mine = await session(['read']);
      const theirs = await server.api('POST', `/v1/accounts/${other.id}/portal-sessions`, {
        key: other.adminKey,
        body: { capabilities: ['read'] },
      });
      const path = `/v1/accounts/${acc}/webhooks`;
      assert.equal((await api('GET', path, { key: mine.token })).status, 200);
      assert.equal((await api('DELETE', `/v1/accounts/${acc}/portal-sessions`)).status, 204);
      assertError(await api('GET', path, { key: mine.token }), 401, 'unauthorized');
      assert.equal(
        (await api('GET', `/v1/accounts/${other.id}/webhooks`, { key: theirs.body.token })).status,
        200,
      );
    });

    test('on PostgreSQL, another process refuses a revoked session as soon as it hears of it', {
      skip: TEST_BACKEND !== 'postgres' && 'PostgreSQL only: one process owns a SQLite store',
    }, async () => {
      const second = await startTestServer({ ...server.env, HOOKLANE_ROLE: 'api' });
      try {
        const { token } = await session(['read']);
        const path = `/v1/accounts/${acc}/webhooks`;
        // Looked up, and kept, by the second process.
        assert.equal((await second.api('GET', path, { key: token })).status, 200);
        assert.equal((await second.api('GET', path, { key: token })).status, 200);
        const revokedAt = Date.now();
        assert.equal((await api('DELETE', `/v1/accounts/${acc}/portal-sessions`)).status, 204);
        await eventually(
          async () => ((await second.api('GET', path, { key: token })).status === 401 ? true : undefined),
          2000,
          'the second process to refuse the token',
        );
        // Well before the 1 s a kept session may otherwise live.
        assert.ok(Date.now() - revokedAt < 900, `${Date.now() - revokedAt} ms`);
      } finally {
        await second.close();
      }
    });
  });

  test('the new endpoints are in the OpenAPI document', async () => {
    const spec = await api('GET', '/openapi.json');
    const paths = Object.keys(spec.body.paths);
    for (const path of [
      '/v1/accounts/{acc}/stats',
      '/v1/accounts/{acc}/events/{id}/routing',
      '/v1/accounts/{acc}/portal-sessions',
      '/v1/portal-session',
    ]) {
      assert.ok(paths.includes(path), `${path} in ${paths.join(', ')}`);
    }
    const recover = spec.body.paths['/v1/accounts/{acc}/webhooks/{id}/recover'].post;
    assert.ok(JSON.stringify(recover.requestBody).includes('dry_run'));
  });
});
