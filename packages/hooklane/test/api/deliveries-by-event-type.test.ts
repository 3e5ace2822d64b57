import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/hooklane.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { seedPayload } from '../helpers/seeds.ts';

// The deliveries list filtered by the type of their event: by its name or its catalog type id,
// batched deliveries (usetiful windows) included, within the account only.

let server: TestServer;
let receiver: Receiver;
let acc: string;
let key: string;

before(async () => {
  server = await startTestServer();
  receiver = await startReceiver();
  ({ id: acc, adminKey: key } = await server.account());
  for (const [name, extra] of [
    ['all', {}],
    ['batched', { format: 'usetiful', batch_window_ms: 10_000 }],
  ] as const) {
    const created = await server.api('POST', `/v1/accounts/${acc}/webhooks`, {
      key,
      body: { name, url: `${receiver.url}/${name}`, events: ['*'], ...extra },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  }
  const sent = await server.api('POST', `/v1/accounts/${acc}/events`, {
    key,
    body: [
      { ...seedPayload('Web Flow Completed'), id: 'ev_flow', user_id: 'u1' },
      { ...seedPayload('NPS Score'), id: 'ev_nps', user_id: 'u2' },
      { id: 'ev_custom', name: 'plan_upgraded', user_id: 'u3' },
    ],
  });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
});

after(async () => {
  await server?.close();
  await receiver?.close();
});

const eventsOf = async (type: string): Promise<string[]> => {
  const listed = await server.api(
    'GET',
    `/v1/accounts/${acc}/deliveries?event_type=${encodeURIComponent(type)}`,
    {
      key,
    },
  );
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  const ids: string[] = [];
  for (const delivery of listed.body.data as { id: string }[]) {
    const detail = await server.api('GET', `/v1/accounts/${acc}/deliveries/${delivery.id}`, { key });
    ids.push(...(detail.body.event_ids as string[]));
  }
  return ids.sort();
};

test('event_type matches the catalog type id and the exact name, batched deliveries included', async () => {
  // One delivery per webhook: the direct one and the usetiful batch holding the event.
  assert.deepEqual(await eventsOf('nps_score'), ['ev_nps', 'ev_nps']);
  assert.deepEqual(await eventsOf('appcues:nps_score'), ['ev_nps', 'ev_nps']);
  assert.deepEqual(await eventsOf('plan_upgraded'), ['ev_custom', 'ev_custom']);
  assert.deepEqual(await eventsOf('flow_completed'), ['ev_flow', 'ev_flow']);
  assert.deepEqual(await eventsOf('checklist_completed'), []);
});

test('another account sees none of them, and a bad value is a 400', async () => {
  const other = await server.account();
  const listed = await server.api('GET', `/v1/accounts/${other.id}/deliveries?event_type=nps_score`, {
    key: other.adminKey,
  });
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body.data, []);
  const bad = await server.api('GET', `/v1/accounts/${acc}/deliveries?event_type=${'x'.repeat(201)}`, {
    key,
  });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'validation_failed');
});
