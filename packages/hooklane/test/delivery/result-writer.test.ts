import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { ResultWriter } from '../../src/delivery/result-writer.ts';
import type { AttemptRecord } from '../../src/store/store.ts';
import { eventually } from '../helpers/hooklane.ts';

const record = (deliveryId: string, webhookId = 'wh_1') =>
  ({
    attempt: { deliveryId, webhookId },
    verdict: 'succeeded',
    nextAttemptAt: null,
  }) as unknown as AttemptRecord;

/**
 * A writer whose batches are collected, with room to wait unless told otherwise. The wait is
 * long unless a test shortens it, so a batch seen within a second went without waiting.
 */
function setup(options: { room?: boolean; waitMs?: number } = {}) {
  const batches: string[][] = [];
  const writer = new ResultWriter({
    write: async (batch) => {
      batches.push(batch.map((r) => r.attempt.deliveryId));
    },
    roomToWait: () => options.room ?? true,
    logger: pino({ level: 'silent' }),
    now: Date.now,
    waitMs: options.waitMs ?? 10_000,
  });
  return { writer, batches };
}

const written = (batches: string[][], timeoutMs = 1_000) =>
  eventually(() => (batches.length > 0 ? batches : undefined), timeoutMs, 'a batch');

test('with no work announced lately, a result is written at once', async () => {
  const { writer, batches } = setup();
  writer.queue(record('dlv_1'));
  assert.deepEqual(await written(batches), [['dlv_1']]);
});

test('after an announcement, results wait for the claim that takes them, at most the wait', async () => {
  const { writer, batches } = setup({ waitMs: 1_000 });
  writer.announced();
  writer.queue(record('dlv_1'));
  writer.queue(record('dlv_2'));
  await sleep(10);
  assert.deepEqual(batches, []);
  // A claim takes them: nothing is left for the writer.
  assert.deepEqual(
    writer.take().map((r) => r.attempt.deliveryId),
    ['dlv_1', 'dlv_2'],
  );
  writer.announced();
  const queuedAt = Date.now();
  writer.queue(record('dlv_3'));
  assert.deepEqual(await written(batches, 3_000), [['dlv_3']], 'no claim came: written after the wait');
  assert.ok(Date.now() - queuedAt >= 950, 'it waited');
});

test('without room to wait (a busy webhook or engine), results go at once even after an announcement', async () => {
  const { writer, batches } = setup({ room: false });
  writer.announced();
  writer.queue(record('dlv_1'));
  assert.deepEqual(await written(batches), [['dlv_1']]);
});

test('results a claim gave back are written first, and close writes what is left', async () => {
  const { writer, batches } = setup();
  writer.announced();
  writer.queue(record('dlv_2'));
  writer.giveBack([record('dlv_1')]);
  await writer.close();
  assert.deepEqual(batches.flat(), ['dlv_1', 'dlv_2']);
});
