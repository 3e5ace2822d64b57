import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Slots } from '../../src/delivery/slots.ts';
import type { ClaimedDelivery } from '../../src/store/store.ts';

const claim = (deliveryId: string, webhookId: string) =>
  ({ delivery: { id: deliveryId }, webhook: { id: webhookId } }) as unknown as ClaimedDelivery;

test('claims reserve the free slots, and a reservation counts until it is given back', () => {
  const slots = new Slots({ maxInFlight: 10, maxInFlightPerWebhook: 4 });
  assert.equal(slots.reserve(6), 6);
  assert.equal(slots.reserve(6), 4);
  assert.equal(slots.reserve(6), 0);
  slots.unreserve(6);
  slots.started(claim('dlv_1', 'wh_1'));
  slots.started(claim('dlv_2', 'wh_1'));
  slots.unreserve(4);
  assert.equal(slots.inFlight, 2);
  assert.equal(slots.reserve(100), 8);
});

test("a delivery holds its webhook's slot until its result is written, or until it is dropped", () => {
  const slots = new Slots({ maxInFlight: 100, maxInFlightPerWebhook: 4 });
  slots.started(claim('dlv_1', 'wh_1'));
  assert.equal(slots.underHalf('wh_1', 0), true);
  slots.started(claim('dlv_2', 'wh_1'));
  assert.equal(slots.underHalf('wh_1', 0), false, 'two of four is half');
  assert.equal(slots.underHalf('wh_2', 0), true);
  // The request is over but the result not written: the slot is still held.
  slots.finished();
  assert.equal(slots.underHalf('wh_1', 0), false);
  slots.written('dlv_1', 'wh_1');
  assert.equal(slots.underHalf('wh_1', 0), true);
  // Dropped (shutdown): the slot frees, the claim stays to be given back.
  slots.dropped('wh_1');
  slots.finished();
  assert.deepEqual(slots.unwritten(), ['dlv_2']);
});

test('results waiting to be written count against half of the process', () => {
  const slots = new Slots({ maxInFlight: 8, maxInFlightPerWebhook: 100 });
  slots.started(claim('dlv_1', 'wh_1'));
  assert.equal(slots.underHalf('wh_1', 2), true);
  assert.equal(slots.underHalf('wh_1', 3), false);
});

test('drained resolves when the last request in flight is over', async () => {
  const slots = new Slots({ maxInFlight: 8, maxInFlightPerWebhook: 8 });
  await slots.drained();
  slots.started(claim('dlv_1', 'wh_1'));
  slots.started(claim('dlv_2', 'wh_1'));
  let drained = false;
  const waiting = slots.drained().then(() => {
    drained = true;
  });
  slots.finished();
  await Promise.resolve();
  assert.equal(drained, false);
  slots.finished();
  await waiting;
  assert.equal(drained, true);
});
