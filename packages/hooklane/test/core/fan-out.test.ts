import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  anyBatches,
  batchHasRoom,
  fanOut,
  MAX_BATCH_EVENTS,
  payloadFilterOf,
} from '../../src/core/fan-out.ts';
import type { Webhook } from '../../src/core/model.ts';
import { sampleWebhook } from '../helpers/store-fixtures.ts';

const NOW = 1_800_000_000_000;
const event = {
  id: 'e1',
  name: 'appcues:flow_completed',
  typeId: 'flow_completed',
  userId: 'u1',
  contentId: 'c1',
};
const hook = (id: string, overrides: Partial<Webhook> = {}) => sampleWebhook(id, overrides);

test('an event fans out to the enabled webhooks that want it, each delivery due now', () => {
  const webhooks = [
    hook('all'),
    hook('typed', { events: ['flow_completed'] }),
    hook('named', { events: ['appcues:flow_completed'] }),
    hook('other', { events: ['step_completed'] }),
    hook('off', { enabled: false }),
    hook('content', { filters: { contentIds: ['c1'] } }),
    hook('elsewhere', { filters: { contentIds: ['c2'] } }),
  ];
  const planned = fanOut(webhooks, event, NOW);
  assert.deepEqual(
    planned.map((d) => d.webhook.id),
    ['all', 'typed', 'named', 'content'],
  );
  for (const d of planned) {
    assert.equal(d.eventId, 'e1');
    assert.equal(d.batch, null);
    assert.equal(d.dueAt, NOW);
  }
  assert.deepEqual(fanOut([], event, NOW), []);
});

test("a usetiful webhook with a window collects the user's events, due when the window ends", () => {
  const batching = hook('batching', { format: 'usetiful', batchWindowMs: 5000 });
  const windowless = hook('windowless', { format: 'usetiful', batchWindowMs: 0 });
  const [batched, alone] = fanOut([batching, windowless], event, NOW);
  assert.deepEqual(batched?.batch, { userId: 'u1', windowEndsAt: NOW + 5000 });
  assert.equal(batched?.dueAt, NOW + 5000);
  assert.equal(alone?.batch, null, 'without a window each event goes alone');
  assert.equal(anyBatches([[windowless], [batching]]), true);
  assert.equal(anyBatches([[windowless], []]), false);
});

test('a batch takes events until it holds MAX_BATCH_EVENTS', () => {
  assert.equal(batchHasRoom(0), true);
  assert.equal(batchHasRoom(MAX_BATCH_EVENTS - 1), true);
  assert.equal(batchHasRoom(MAX_BATCH_EVENTS), false);
});

test('a payload filter decides on the event body, parsed once per kept webhook', () => {
  const filters = { contentIds: null, match: { 'attributes.score': { $lte: 6 } } };
  const filtered = hook('filtered', { filters });
  const nps = (id: string, score: number) => ({
    ...event,
    id,
    body: JSON.stringify({ id, attributes: { score } }),
  });
  assert.deepEqual(
    fanOut([filtered, hook('all')], nps('low', 3), NOW).map((d) => d.webhook.id),
    ['filtered', 'all'],
  );
  assert.deepEqual(
    fanOut([filtered, hook('all')], nps('high', 9), NOW).map((d) => d.webhook.id),
    ['all'],
  );
  // The same webhook object (as the stores keep them) gives the same parsed filter.
  assert.equal(payloadFilterOf(filtered.filters), payloadFilterOf(filtered.filters));
  assert.notEqual(payloadFilterOf(filtered.filters), null);
  assert.equal(payloadFilterOf({ contentIds: null }), null);
  // A stored filter that no longer parses matches nothing rather than everything.
  const broken = hook('broken', { filters: { contentIds: null, match: { $nope: 1 } } });
  assert.deepEqual(fanOut([broken], nps('low', 3), NOW), []);
});
