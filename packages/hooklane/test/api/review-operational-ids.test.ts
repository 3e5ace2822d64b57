import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/hooklane.ts';

let server: TestServer;
let account: { id: string; adminKey: string };

before(async () => {
  server = await startTestServer();
  account = await server.account();
});
after(async () => {
  await server?.close();
});

test("a sender's event cannot take an operational event's id, whose prefix is Hooklane's own", async () => {
  const sent = await server.api('POST', `/v1/accounts/${account.id}/events`, {
    key: account.adminKey,
    body: [
      { id: 'evt_ok', name: 'signup', user_id: 'u1' },
      { id: 'hooklane.dlv_1.8.exhausted', name: 'signup', user_id: 'u1' },
    ],
  });
  assert.equal(sent.status, 422, JSON.stringify(sent.body));
  assert.equal(sent.body.error.code, 'invalid_event');
  assert.match(sent.body.error.message, /Event 1 is invalid at \/id/);
  // Nothing of the refused request was stored.
  const routed = await server.api('GET', `/v1/accounts/${account.id}/events/evt_ok/routing`, {
    key: account.adminKey,
  });
  assert.equal(routed.status, 404);
});

test("a page's event taking Hooklane's prefix is left out of its batch, the rest accepted", async () => {
  const origin = 'https://app.example.com';
  const created = await server.api('POST', `/v1/accounts/${account.id}/keys`, {
    key: account.adminKey,
    body: { role: 'publishable', origins: [origin], events: ['*'] },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const sent = await server.api('POST', `/v1/accounts/${account.id}/events?key=${created.body.key}`, {
    key: null,
    headers: { 'content-type': 'text/plain', origin },
    body: [
      { id: 'hooklane.dlv_1.8.exhausted', name: 'signup', user_id: 'u1' },
      { id: 'page_ok', name: 'signup', user_id: 'u1' },
    ],
  });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  assert.deepEqual(sent.body.ids, ['page_ok']);
  assert.equal(sent.body.refused.length, 1);
  assert.equal(sent.body.refused[0].index, 0);
  assert.match(sent.body.refused[0].reason, /\/id/);
});
