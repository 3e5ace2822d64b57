import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, startTestServer } from '../helpers/hooklane.ts';
import { startReceiver } from '../helpers/receiver.ts';

test('the retention loop prunes finished deliveries once they are older than HOOKLANE_RETENTION', async (t) => {
  const server = await startTestServer({
    HOOKLANE_RETENTION: '300ms',
    HOOKLANE_RETENTION_INTERVAL: '100ms',
    HOOKLANE_RETRY_SCHEDULE: '1h',
  });
  const ok = await startReceiver();
  const failing = await startReceiver(() => ({ status: 500 }));
  t.after(() => Promise.all([server.close(), ok.close(), failing.close()]));
  const { id, adminKey } = await server.account();
  const hook = async (url: string, extra: Record<string, unknown> = {}) =>
    (
      await server.api('POST', `/v1/accounts/${id}/webhooks`, {
        key: adminKey,
        body: { name: 'h', url, events: ['*'], ...extra },
      })
    ).body.id as string;
  const delivered = await hook(`${ok.url}/ok`);
  // A long retry schedule keeps this one pending well past the retention age.
  await hook(`${failing.url}/fail`);
  const sent = await server.api('POST', `/v1/accounts/${id}/events`, {
    key: adminKey,
    body: { name: 'appcues:flow_started', user_id: 'u1', attributes: { flowId: 'f1' } },
  });
  assert.equal(sent.status, 202);
  await ok.waitFor(1);
  const list = async () =>
    (await server.api('GET', `/v1/accounts/${id}/deliveries`, { key: adminKey })).body.data as {
      webhook_id: string;
      status: string;
    }[];
  const remaining = await eventually(
    async () => {
      const deliveries = await list();
      return deliveries.length === 1 ? deliveries : undefined;
    },
    10_000,
    'the succeeded delivery to be pruned',
  );
  assert.notEqual(remaining[0]?.webhook_id, delivered);
  assert.equal(remaining[0]?.status, 'pending', 'a pending delivery is never pruned');
});
