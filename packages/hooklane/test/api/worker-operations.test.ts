import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { callApi, startTestServer } from '../helpers/hooklane.ts';
import { startReceiver } from '../helpers/receiver.ts';

/**
 * A worker (HOOKLANE_ROLE=worker) serves no API, but with HOOKLANE_WORKER_PORT it answers
 * liveness, readiness and metrics: its delivery attempts are counted only in its own process.
 */
test('a worker serves /healthz, /readyz and its own delivery metrics on HOOKLANE_WORKER_PORT', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hooklane-worker-ops-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const receiver = await startReceiver();
  t.after(() => receiver.close());

  // An API process takes an event for one webhook; nothing delivers it yet. (The embedded store
  // has one owner at a time, so the worker starts once the API process has stopped.)
  const api = await startTestServer({ HOOKLANE_DATA_DIR: dataDir, HOOKLANE_ROLE: 'api' });
  const { id, adminKey } = await api.account();
  const created = await api.api('POST', `/v1/accounts/${id}/webhooks`, {
    key: adminKey,
    body: { name: 'hook', url: `${receiver.url}/hook`, events: ['*'] },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const sent = await api.api('POST', `/v1/accounts/${id}/events`, {
    key: adminKey,
    body: { name: 'custom_event', user_id: 'u1' },
  });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  await api.close();

  const worker = await startTestServer({
    HOOKLANE_DATA_DIR: dataDir,
    HOOKLANE_ROOT_KEY: api.rootKey,
    HOOKLANE_ROLE: 'worker',
    HOOKLANE_WORKER_PORT: '0',
    HOOKLANE_METRICS_TOKEN: 'metrics-token',
  });
  t.after(() => worker.close());
  assert.equal(worker.hooklane.url, null, 'a worker serves no API');
  const base = worker.hooklane.operationsUrl;
  assert.ok(base, 'the worker printed where its operations endpoint is');
  await receiver.waitFor(1);

  const call = (path: string, key: string | null = null) => callApi(base, '', 'GET', path, { key });
  assert.deepEqual((await call('/healthz')).body, { status: 'ok' });
  assert.deepEqual((await call('/readyz')).body, { status: 'ready' });

  const refused = await call('/metrics');
  assert.equal(refused.status, 401);
  assert.equal(refused.body.error.code, 'unauthorized');
  const metrics = await call('/metrics', 'metrics-token');
  assert.equal(metrics.status, 200);
  assert.match(String(metrics.body), /^hooklane_delivery_attempts_total\{outcome="succeeded"\} 1$/m);
  assert.match(String(metrics.body), /^hooklane_attempt_duration_seconds_count\{outcome="succeeded"\} 1$/m);

  // Only the operational routes: the API and its documents are the API processes'.
  for (const path of ['/v1/accounts', '/openapi.json', '/docs']) {
    const missing = await call(path, api.rootKey);
    assert.equal(missing.status, 404, path);
    assert.equal(missing.body.error.code, 'not_found', path);
  }
});

test('without HOOKLANE_WORKER_PORT a worker serves no HTTP; other roles ignore the setting', async (t) => {
  const worker = await startTestServer({ HOOKLANE_ROLE: 'worker' });
  t.after(() => worker.close());
  assert.equal(worker.hooklane.operationsUrl, null);
  assert.equal(worker.hooklane.url, null);

  const all = await startTestServer({ HOOKLANE_WORKER_PORT: '0' });
  t.after(() => all.close());
  assert.equal(all.hooklane.operationsUrl, null, 'the API serves the operational routes itself');
  assert.equal((await all.api('GET', '/healthz')).status, 200);
});
