import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestServer } from './helpers/hooklane.ts';
import { startReceiver } from './helpers/receiver.ts';

test('an event reaches a subscribed receiver', async (t) => {
  const server = await startTestServer();
  const receiver = await startReceiver();
  t.after(() => Promise.all([server.close(), receiver.close()]));
  const { id, adminKey } = await server.account();
  const webhook = await server.api('POST', `/v1/accounts/${id}/webhooks`, {
    key: adminKey,
    body: { name: 'all', url: `${receiver.url}/hook`, events: ['*'] },
  });
  assert.equal(webhook.status, 201);
  const sent = await server.api('POST', `/v1/accounts/${id}/events`, {
    key: adminKey,
    body: { name: 'appcues:flow_started', user_id: 'u1', attributes: { flowId: 'f1' } },
  });
  assert.equal(sent.status, 202);
  const [request] = await receiver.waitFor(1);
  assert.equal(JSON.parse(request?.body ?? '{}').id, sent.body.ids[0]);
});
