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
  assert.equal(slots.admit(claim('dlv_1', 'wh_1')), true);
  assert.equal(slots.admit(claim('dlv_2', 'wh_1')), true);
  slots.unreserve(4);
  assert.equal(slots.inFlight, 2);
  assert.equal(slots.reserve(100), 8);
});

test("a delivery holds its webhook's slot until its result is written, or until it is dropped", () => {
  const slots = new Slots({ maxInFlight: 100, maxInFlightPerWebhook: 4 });
  assert.equal(slots.admit(claim('dlv_1', 'wh_1')), true);
  assert.equal(slots.underHalf('wh_1', 0), true);
  assert.equal(slots.admit(claim('dlv_2', 'wh_1')), true);
  assert.equal(slots.underHalf('wh_1', 0), false, 'two of four is half');
  assert.equal(slots.underHalf('wh_2', 0), true);
  // The request is over but the result not written: the slot is still held.
  slots.finished('wh_1');
  assert.equal(slots.underHalf('wh_1', 0), false);
  slots.written('dlv_1', 'wh_1');
  assert.equal(slots.underHalf('wh_1', 0), true);
  // Dropped (shutdown): the slot frees, the claim stays to be given back.
  slots.dropped('wh_1');
  slots.finished('wh_1');
  assert.deepEqual(slots.unwritten(), ['dlv_2']);
});

test('results waiting to be written count against half of the process', () => {
  const slots = new Slots({ maxInFlight: 8, maxInFlightPerWebhook: 100 });
  assert.equal(slots.admit(claim('dlv_1', 'wh_1')), true);
  assert.equal(slots.underHalf('wh_1', 2), true);
  assert.equal(slots.underHalf('wh_1', 3), false);
});

test('drained resolves when the last request in flight is over', async () => {
  const slots = new Slots({ maxInFlight: 8, maxInFlightPerWebhook: 8 });
  await slots.drained();
  assert.equal(slots.admit(claim('dlv_1', 'wh_1')), true);
  assert.equal(slots.admit(claim('dlv_2', 'wh_1')), true);
  let drained = false;
  const waiting = slots.drained().then(() => {
    drained = true;
  });
  slots.finished('wh_1');
  await Promise.resolve();
  assert.equal(drained, false);
  slots.finished('wh_1');
  await waiting;
  assert.equal(drained, true);
});

test("a delivery claimed beyond its webhook's cap waits for one of its requests to end, in claim order", () => {
  const slots = new Slots({ maxInFlight: 10, maxInFlightPerWebhook: 2 });
  assert.equal(slots.admit(claim('dlv_1', 'wh_1')), true);
  assert.equal(slots.admit(claim('dlv_2', 'wh_1')), true);
  assert.equal(slots.admit(claim('dlv_3', 'wh_1')), false);
  assert.equal(slots.admit(claim('dlv_4', 'wh_1')), false);
  assert.equal(slots.admit(claim('dlv_5', 'wh_2')), true, 'another webhook has its own slots');
  assert.equal(slots.inFlight, 3);
  assert.equal(slots.reserve(100), 7, 'what waits does not take the slots others send with');
  slots.unreserve(7);
  assert.equal(slots.finished('wh_2'), undefined);
  assert.equal(slots.finished('wh_1')?.delivery.id, 'dlv_3');
  assert.equal(slots.inFlight, 2, 'the one handed over is in flight');
  // Shutdown: what still waits is not sent, and its claim is given back.
  assert.equal(slots.finished('wh_1', true), undefined);
  assert.deepEqual(slots.unwritten().sort(), ['dlv_1', 'dlv_2', 'dlv_3', 'dlv_4', 'dlv_5']);
});

test('what waits has a budget of its own, as large as the in-flight one', () => {
  const slots = new Slots({ maxInFlight: 4, maxInFlightPerWebhook: 1 });
  for (const id of ['a', 'b', 'c']) assert.equal(slots.admit(claim(`dlv_${id}1`, `wh_${id}`)), true);
  assert.equal(slots.reserve(100), 1, 'one request slot left');
  slots.unreserve(1);
  for (const id of ['a', 'b']) assert.equal(slots.admit(claim(`dlv_${id}2`, `wh_${id}`)), false);
  assert.equal(slots.reserve(100), 1, 'waiting deliveries leave the free request slot alone');
  slots.unreserve(1);
  assert.equal(slots.admit(claim('dlv_a3', 'wh_a')), false);
  assert.equal(slots.admit(claim('dlv_b3', 'wh_b')), false);
  assert.equal(slots.reserve(100), 0, 'four waiting: the waiting budget is spent');
});
