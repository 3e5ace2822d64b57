import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, startTestServer, type TestServer } from '../helpers/hooklane.ts';
import { type Behaviour, type Received, type Receiver, startReceiver } from '../helpers/receiver.ts';

// End to end: which webhooks get which events, how ingest validates and
// de-duplicates, and what each payload format puts on the wire.

interface Account {
  readonly id: string;
  readonly adminKey: string;
}

interface Harness {
  readonly server: TestServer;
  readonly account: Account;
  readonly receiver: Receiver;
  createWebhook(body: Record<string, unknown>): Promise<{ id: string; name: string }>;
  send(event: unknown): Promise<string[]>;
  deliveries(query: Record<string, string>): Promise<any[]>;
  /** Waits until every delivery of the webhook has succeeded, and returns how many there are. */
  settled(webhookId: string, expected: number): Promise<any[]>;
}

/** A server, an account, and one receiver whose path tells the webhooks apart. */
async function setUp(
  t: { after(fn: () => Promise<unknown>): void },
  behaviour?: Behaviour,
): Promise<Harness> {
  const server = await startTestServer();
  const receiver = await startReceiver(behaviour);
  t.after(() => Promise.all([server.close(), receiver.close()]));
  const account = await server.account();
  const key = account.adminKey;
  const harness: Harness = {
    server,
    account,
    receiver,
    async createWebhook(body) {
      const created = await server.api('POST', `/v1/accounts/${account.id}/webhooks`, {
        key,
        body: { url: `${receiver.url}/${body.name}`, ...body },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body;
    },
    async send(event) {
      const sent = await server.api('POST', `/v1/accounts/${account.id}/events`, { key, body: event });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      return sent.body.ids;
    },
    async deliveries(query) {
      const list = await server.api(
        'GET',
        `/v1/accounts/${account.id}/deliveries?${new URLSearchParams({ limit: '250', ...query })}`,
        {
          key,
        },
      );
      assert.equal(list.status, 200, JSON.stringify(list.body));
      return list.body.data;
    },
    settled(webhookId, expected) {
      return eventually(
        async () => {
          const list = await harness.deliveries({ webhook_id: webhookId });
          if (list.length > expected)
            assert.fail(`webhook ${webhookId} has ${list.length} deliveries, expected ${expected}`);
          return list.length === expected && list.every((delivery) => delivery.status === 'succeeded')
            ? list
            : undefined;
        },
        5000,
        `${expected} succeeded deliveries of ${webhookId}`,
      );
    },
  };
  return harness;
}

/** The parsed bodies a receiver got on one path, in arrival order. */
function bodiesAt(receiver: Receiver, path: string): any[] {
  return receiver.requests
    .filter((request) => request.path === path)
    .map((request) => JSON.parse(request.body));
}

const flow = (name: string, flowId: string, extra: Record<string, unknown> = {}) => ({
  name: `appcues:${name}`,
  user_id: 'user-1',
  attributes: { flowId, ...extra },
});

test('webhooks get the types they list, custom names they list, or everything with *', async (t) => {
  const h = await setUp(t);
  const completed = await h.createWebhook({ name: 'completed', events: ['flow_completed'] });
  const custom = await h.createWebhook({ name: 'custom', events: ['my_custom_event'] });
  const all = await h.createWebhook({ name: 'all', events: ['*'] });

  const [completedId] = await h.send(flow('flow_completed', 'f1'));
  const [startedId] = await h.send(flow('flow_started', 'f1'));
  const [customId] = await h.send({
    name: 'my_custom_event',
    user_id: 'user-1',
    attributes: { anything: true },
  });
  const [otherId] = await h.send({ name: 'another_custom_event', user_id: 'user-1' });

  // Fan-out is decided at ingest: the deliveries exist as soon as the 202 came back.
  const eventIdsOf = async (webhookId: string) =>
    (await h.deliveries({ webhook_id: webhookId })).map((delivery) => delivery.event_id).sort();
  assert.deepEqual(await eventIdsOf(completed.id), [completedId]);
  assert.deepEqual(await eventIdsOf(custom.id), [customId]);
  assert.deepEqual(await eventIdsOf(all.id), [completedId, startedId, customId, otherId].sort());

  await Promise.all([h.settled(completed.id, 1), h.settled(custom.id, 1), h.settled(all.id, 4)]);
  assert.deepEqual(
    bodiesAt(h.receiver, '/completed').map((body) => body.id),
    [completedId],
  );
  assert.deepEqual(
    bodiesAt(h.receiver, '/custom').map((body) => [body.id, body.name]),
    [[customId, 'my_custom_event']],
  );
  assert.deepEqual(
    bodiesAt(h.receiver, '/all')
      .map((body) => body.id)
      .sort(),
    [completedId, startedId, customId, otherId].sort(),
  );
});

test('filters.content_ids passes only events whose content id (per the catalog) is listed', async (t) => {
  const h = await setUp(t);
  const filtered = await h.createWebhook({
    name: 'filtered',
    events: ['*'],
    filters: { content_ids: ['flow-A', 'checklist-B', 'experience-C', 'tour-T'] },
  });
  const wanted = [
    flow('flow_started', 'flow-A'),
    { name: 'appcues:checklist_completed', user_id: 'u', attributes: { checklistId: 'checklist-B' } },
    {
      name: 'appcues:v2:step_interaction',
      user_id: 'u',
      attributes: { experienceId: 'experience-C', experienceType: 'mobile' },
    },
    { name: 'tour_completed', user_id: 'u', attributes: { tourId: 'tour-T' } },
  ];
  const unwanted = [
    flow('flow_started', 'flow-Z'),
    // A checklist's content id is its checklistId, not a flowId it happens to carry.
    {
      name: 'appcues:checklist_completed',
      user_id: 'u',
      attributes: { checklistId: 'other', flowId: 'flow-A' },
    },
    {
      name: 'appcues:v2:step_interaction',
      user_id: 'u',
      attributes: { experienceId: 'experience-D', experienceType: 'persistent' },
    },
    // The first present path wins: contentId, not bannerId.
    { name: 'banner_seen', user_id: 'u', attributes: { contentId: 'banner-X', bannerId: 'tour-T' } },
    // Events without a content id never pass a filter.
    { name: 'my_custom_event', user_id: 'u', attributes: { flowId: 'flow-A' } },
    { name: 'user_created', user_id: 'u' },
  ];
  const ids: string[] = [];
  for (const event of [...unwanted, ...wanted]) ids.push(...(await h.send({ ...event, id: randomUUID() })));
  const wantedIds = ids.slice(unwanted.length);

  const delivered = await h.settled(filtered.id, wanted.length);
  assert.deepEqual(delivered.map((delivery) => delivery.event_id).sort(), [...wantedIds].sort());
  assert.deepEqual(
    bodiesAt(h.receiver, '/filtered')
      .map((body) => body.id)
      .sort(),
    [...wantedIds].sort(),
  );
});

test('appcues:nps_score with feedback and no score is NPS Feedback, not NPS Score', async (t) => {
  const h = await setUp(t);
  const feedback = await h.createWebhook({ name: 'feedback', events: ['nps_feedback'] });
  const score = await h.createWebhook({ name: 'score', events: ['nps_score'] });
  const nps = (attributes: Record<string, unknown>) => ({
    name: 'appcues:nps_score',
    user_id: 'u',
    attributes: { flowId: 'nps-flow', ...attributes },
  });
  const [feedbackId] = await h.send(nps({ feedback: 'great stuff' }));
  const [scoreId] = await h.send(nps({ score: 10 }));
  const [bothId] = await h.send(nps({ score: 3, feedback: 'meh' }));
  const [explicitId] = await h.send({
    name: 'appcues:nps_feedback',
    user_id: 'u',
    attributes: { flowId: 'nps-flow', feedback: 'ok' },
  });

  const feedbackDeliveries = await h.settled(feedback.id, 2);
  const scoreDeliveries = await h.settled(score.id, 2);
  assert.deepEqual(feedbackDeliveries.map((d) => d.event_id).sort(), [feedbackId, explicitId].sort());
  assert.deepEqual(scoreDeliveries.map((d) => d.event_id).sort(), [scoreId, bothId].sort());
  assert.deepEqual(
    bodiesAt(h.receiver, '/feedback')
      .map((body) => body.id)
      .sort(),
    [feedbackId, explicitId].sort(),
  );
  assert.deepEqual(
    bodiesAt(h.receiver, '/score')
      .map((body) => body.id)
      .sort(),
    [scoreId, bothId].sort(),
  );
});

test('a webhook created disabled receives nothing', async (t) => {
  const h = await setUp(t);
  const disabled = await h.createWebhook({ name: 'disabled', events: ['*'], enabled: false });
  assert.equal((disabled as { enabled?: boolean }).enabled, false);
  const enabled = await h.createWebhook({ name: 'enabled', events: ['*'] });

  const [eventId] = await h.send(flow('flow_completed', 'f1'));
  await h.settled(enabled.id, 1);
  assert.deepEqual(await h.deliveries({ webhook_id: disabled.id }), []);
  assert.deepEqual(
    (await h.deliveries({ event_id: eventId as string })).map((delivery) => delivery.webhook_id),
    [enabled.id],
  );
  await sleep(300);
  assert.equal(bodiesAt(h.receiver, '/disabled').length, 0);
  assert.equal(bodiesAt(h.receiver, '/enabled').length, 1);
});

test('the same event id twice is one event and one delivery', async (t) => {
  const h = await setUp(t);
  const all = await h.createWebhook({ name: 'all', events: ['*'] });
  const id = randomUUID();
  const event = { ...flow('flow_completed', 'f1'), id };
  assert.deepEqual(await h.send(event), [id]);
  assert.deepEqual(await h.send(event), [id]);
  // Also in a batch, and with a different body: the id decides.
  assert.deepEqual(await h.send([{ ...event, attributes: { flowId: 'f2' } }]), [id]);
  assert.equal((await h.deliveries({ event_id: id })).length, 1);

  // A later event arriving proves the duplicates were not merely slower.
  const [laterId] = await h.send(flow('flow_started', 'f1'));
  await h.settled(all.id, 2);
  await sleep(300);
  const bodies = bodiesAt(h.receiver, '/all');
  assert.deepEqual(bodies.map((body) => body.id).sort(), [id, laterId].sort());
  assert.equal(
    bodies.find((body) => body.id === id).attributes.flowId,
    'f1',
    'the first body is the one kept',
  );
});

test('batch ingest: an array or {events}, all or nothing', async (t) => {
  const h = await setUp(t);
  const all = await h.createWebhook({ name: 'all', events: ['*'] });
  const array = [flow('flow_started', 'f1'), flow('flow_completed', 'f1')];
  const fromArray = await h.send(array);
  assert.equal(fromArray.length, 2);
  const wrapped = {
    events: [flow('flow_skipped', 'f1'), { name: 'custom_thing', user_id: 'u' }, flow('flow_started', 'f2')],
  };
  const fromWrapped = await h.send(wrapped);
  assert.equal(fromWrapped.length, 3);
  assert.equal(new Set([...fromArray, ...fromWrapped]).size, 5, 'every event got its own id');
  const delivered = await h.settled(all.id, 5);
  assert.deepEqual(
    delivered.map((delivery) => delivery.event_id).sort(),
    [...fromArray, ...fromWrapped].sort(),
  );

  // One bad event refuses the whole batch, naming its index; nothing of it is stored.
  const goodIds = [randomUUID(), randomUUID()];
  for (const body of [
    [
      { ...flow('flow_started', 'f1'), id: goodIds[0] },
      { name: 'appcues:flow_completed', user_id: 'u', attributes: {} },
      { ...flow('flow_started', 'f1'), id: goodIds[1] },
    ],
    {
      events: [
        { ...flow('flow_started', 'f1'), id: goodIds[0] },
        { ...flow('flow_started', 'f1'), id: goodIds[1] },
        { name: 'appcues:flow_completed', user_id: 'u', attributes: {} },
      ],
    },
  ]) {
    const refused = await h.server.api('POST', `/v1/accounts/${h.account.id}/events`, {
      key: h.account.adminKey,
      body,
    });
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'invalid_event');
    assert.equal(refused.body.error.details.index, Array.isArray(body) ? 1 : 2);
    assert.ok(
      JSON.stringify(refused.body.error).includes('/attributes/flowId'),
      JSON.stringify(refused.body.error),
    );
  }
  for (const id of goodIds) assert.deepEqual(await h.deliveries({ event_id: id as string }), []);
  assert.equal((await h.deliveries({ webhook_id: all.id })).length, 5);

  // Since nothing was stored, the good events are new when sent again.
  await h.send([{ ...flow('flow_started', 'f1'), id: goodIds[0] }]);
  await h.settled(all.id, 6);
});

test('a known type missing a required attribute is refused with 422 and the failing path', async (t) => {
  const h = await setUp(t);
  await h.createWebhook({ name: 'all', events: ['*'] });
  const refuse = async (event: unknown, path: string) => {
    const refused = await h.server.api('POST', `/v1/accounts/${h.account.id}/events`, {
      key: h.account.adminKey,
      body: event,
    });
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'invalid_event');
    assert.equal(refused.body.error.details.index, 0);
    assert.ok(
      refused.body.error.details.problems.some((problem: { path: string }) => problem.path === path),
      `${path} in ${JSON.stringify(refused.body.error.details)}`,
    );
    assert.ok(refused.body.error.message.includes(path), refused.body.error.message);
  };
  await refuse(
    { name: 'appcues:flow_completed', user_id: 'u', attributes: { flowName: 'no id' } },
    '/attributes/flowId',
  );
  await refuse({ name: 'appcues:flow_completed', user_id: 'u' }, '/attributes');
  await refuse({ name: 'appcues:flow_completed', attributes: { flowId: 'f' } }, '/user_id');
  assert.deepEqual(await h.deliveries({}), []);
});

test('standard format: {type, timestamp, data}', async (t) => {
  const h = await setUp(t);
  const standard = await h.createWebhook({ name: 'standard', events: ['*'], format: 'standard' });
  const timestamp = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
  const known = { ...flow('flow_completed', 'f1'), id: randomUUID(), timestamp };
  await h.send(known);
  await h.settled(standard.id, 1);
  const custom = { name: 'my_custom_event', user_id: 'u', attributes: { x: 1 } };
  const [customId] = await h.send(custom);
  await h.settled(standard.id, 2);

  const [first, second] = bodiesAt(h.receiver, '/standard');
  assert.deepEqual(Object.keys(first), ['type', 'timestamp', 'data']);
  assert.equal(first.type, 'flow_completed');
  assert.equal(first.timestamp, '2024-01-02T03:04:05.678Z');
  assert.deepEqual({ ...first.data, ingested_at: 0 }, { ...known, ingested_at: 0, account_id: h.account.id });
  assert.equal(typeof first.data.ingested_at, 'number');

  assert.deepEqual(Object.keys(second), ['type', 'timestamp', 'data']);
  assert.equal(second.type, 'my_custom_event', 'a custom event is typed by its name');
  assert.match(second.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  assert.equal(Date.parse(second.timestamp), second.data.timestamp);
  assert.equal(second.data.id, customId);
  assert.equal(second.data.name, 'my_custom_event');
  assert.deepEqual(second.data.attributes, { x: 1 });
});

test('usetiful format without batching: one request per event', async (t) => {
  const h = await setUp(t);
  const usetiful = await h.createWebhook({
    name: 'Usetiful hook',
    url: `${h.receiver.url}/usetiful`,
    events: ['*'],
    format: 'usetiful',
  });
  await h.send({ name: 'tour_completed', user_id: 'user-7', attributes: { contentId: 'tour-1' } });
  await h.settled(usetiful.id, 1);
  await h.send(flow('flow_started', 'flow-9'));
  await h.settled(usetiful.id, 2);
  await h.send({ name: 'tour_completed', user_id: 'user-7', attributes: { contentId: 'tour-2' } });
  await h.settled(usetiful.id, 3);

  const requests = h.receiver.requests.filter((request) => request.path === '/usetiful');
  assert.equal(requests.length, 3);
  assert.deepEqual(
    requests.map((request) => JSON.parse(request.body)),
    [
      { name: 'Usetiful hook', userId: 'user-7', events: [{ name: 'tour_completed', contentId: 'tour-1' }] },
      { name: 'Usetiful hook', userId: 'user-1', events: [{ name: 'flow_started', contentId: 'flow-9' }] },
      { name: 'Usetiful hook', userId: 'user-7', events: [{ name: 'tour_completed', contentId: 'tour-2' }] },
    ],
  );
  assert.deepEqual(Object.keys(JSON.parse(requests[0]?.body ?? '{}')), ['name', 'userId', 'events']);
});

test("usetiful format with batch_window_ms: a user's events within the window travel together", async (t) => {
  const h = await setUp(t);
  const batched = await h.createWebhook({
    name: 'Batched',
    url: `${h.receiver.url}/batched`,
    events: ['*'],
    format: 'usetiful',
    batch_window_ms: 300,
  });
  const event = (user: string, contentId: string) => ({
    name: 'tour_completed',
    user_id: user,
    attributes: { contentId },
  });
  const started = Date.now();
  await h.send(event('A', 'a1'));
  await h.send(event('B', 'b1'));
  await h.send(event('A', 'a2'));
  await h.send(event('A', 'a3'));
  const sentWithin = Date.now() - started;
  assert.ok(sentWithin < 250, `the four events were sent within the window (${sentWithin} ms)`);

  await h.receiver.waitFor(2, 3000);
  await h.settled(batched.id, 2);
  const batches = h.receiver.requests.map((request) => JSON.parse(request.body));
  assert.equal(batches.length, 2, 'exactly two requests');
  const forA = batches.find((batch) => batch.userId === 'A');
  const forB = batches.find((batch) => batch.userId === 'B');
  assert.deepEqual(forA, {
    name: 'Batched',
    userId: 'A',
    events: [
      { name: 'tour_completed', contentId: 'a1' },
      { name: 'tour_completed', contentId: 'a2' },
      { name: 'tour_completed', contentId: 'a3' },
    ],
  });
  assert.deepEqual(forB, {
    name: 'Batched',
    userId: 'B',
    events: [{ name: 'tour_completed', contentId: 'b1' }],
  });
  for (const request of h.receiver.requests) {
    assert.ok(request.at - started >= 280, `a batch waits for its window (${request.at - started} ms)`);
  }

  // After the window closed, A's next event starts a new batch.
  await h.send(event('A', 'a4'));
  await h.receiver.waitFor(3, 3000);
  await h.settled(batched.id, 3);
  assert.equal(h.receiver.requests.length, 3);
  assert.deepEqual(JSON.parse(h.receiver.requests[2]?.body ?? '{}'), {
    name: 'Batched',
    userId: 'A',
    events: [{ name: 'tour_completed', contentId: 'a4' }],
  });
});

test('a retried delivery sends a byte-identical body', async (t) => {
  // Each delivery (told apart by its stable webhook-id) fails its first attempt with 500.
  const seen = new Set<string>();
  const h = await setUp(t, (_n, request: Received) => {
    const deliveryId = String(request.headers['webhook-id']);
    if (seen.has(deliveryId)) return { status: 204 };
    seen.add(deliveryId);
    return { status: 500, body: 'try again' };
  });
  const webhooks = await Promise.all([
    h.createWebhook({ name: 'appcues', events: ['*'] }),
    h.createWebhook({ name: 'standard', events: ['*'], format: 'standard' }),
    h.createWebhook({ name: 'usetiful', events: ['*'], format: 'usetiful' }),
    h.createWebhook({ name: 'batched', events: ['*'], format: 'usetiful', batch_window_ms: 100 }),
  ]);
  await h.send([flow('flow_completed', 'f1'), flow('flow_started', 'f2')]);
  // Two events per unbatched webhook, one batch for the batched one: 2 + 2 + 2 + 1 deliveries,
  // each attempted twice.
  await h.receiver.waitFor(14, 4000);
  for (const webhook of webhooks) await h.settled(webhook.id, webhook.name === 'batched' ? 1 : 2);

  for (const webhook of webhooks) {
    const requests = h.receiver.requests.filter((request) => request.path === `/${webhook.name}`);
    const byDelivery = new Map<string, Received[]>();
    for (const request of requests) {
      const deliveryId = String(request.headers['webhook-id']);
      byDelivery.set(deliveryId, [...(byDelivery.get(deliveryId) ?? []), request]);
    }
    assert.equal(byDelivery.size, webhook.name === 'batched' ? 1 : 2);
    for (const [deliveryId, attempts] of byDelivery) {
      assert.equal(attempts.length, 2, `${webhook.name}: two attempts of ${deliveryId}`);
      assert.equal(
        attempts[1]?.body,
        attempts[0]?.body,
        `${webhook.name}: the retry's body is byte-identical`,
      );
      const detail = await h.server.api('GET', `/v1/accounts/${h.account.id}/deliveries/${deliveryId}`, {
        key: h.account.adminKey,
      });
      assert.equal(detail.status, 200);
      assert.deepEqual(
        detail.body.attempts.map((attempt: { response: { status: number } }) => attempt.response.status),
        [500, 204],
      );
      for (const attempt of detail.body.attempts) assert.equal(attempt.request.body, attempts[0]?.body);
    }
  }
  const batch = JSON.parse(h.receiver.requests.find((request) => request.path === '/batched')?.body ?? '{}');
  assert.equal(batch.events.length, 2);
});
