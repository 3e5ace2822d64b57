import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refill, TokenBuckets, take } from '../../src/core/token-bucket.ts';

const rate = { perSecond: 2, burst: 3 };

test('a new bucket is full: burst requests pass, the next waits for one token', () => {
  let bucket = undefined as ReturnType<typeof take>['bucket'] | undefined;
  for (let i = 0; i < 3; i++) {
    const result = take(bucket, rate, 1000);
    assert.equal(result.ok, true, `request ${i}`);
    bucket = result.bucket;
  }
  const refused = take(bucket, rate, 1000);
  assert.equal(refused.ok, false);
  assert.equal(refused.ok ? 0 : refused.retryAfterMs, 500);
});

test('tokens come back at the rate, never above the burst', () => {
  const empty = { tokens: 0, at: 0 };
  assert.equal(refill(empty, rate, 250).tokens, 0.5);
  assert.equal(take(empty, rate, 250).ok, false);
  const almost = take(empty, rate, 499);
  assert.equal(almost.ok ? 'ok' : almost.retryAfterMs, 2);
  assert.equal(take(empty, rate, 500).ok, true);
  assert.equal(refill(empty, rate, 60_000).tokens, 3);
});

test('a clock gone backwards refills nothing and does not move the bucket back', () => {
  const bucket = { tokens: 1, at: 10_000 };
  assert.deepEqual(refill(bucket, rate, 5_000), { tokens: 1, at: 10_000 });
});

test('a rate of zero never refills: the wait is infinite', () => {
  const result = take({ tokens: 0, at: 0 }, { perSecond: 0, burst: 1 }, 1e9);
  assert.equal(result.ok, false);
  assert.equal(result.ok ? 0 : result.retryAfterMs, Number.POSITIVE_INFINITY);
});

test('TokenBuckets takes from every named bucket or from none, and answers the longest wait', () => {
  const buckets = new TokenBuckets();
  const key = { name: 'key', rate: { perSecond: 1, burst: 10 } };
  const client = { name: 'key 1.2.3.4', rate: { perSecond: 0.5, burst: 1 } };
  assert.deepEqual(buckets.takeAll([key, client], 0), { ok: true });
  assert.deepEqual(buckets.takeAll([key, client], 0), { ok: false, retryAfterMs: 2000 });
  // The refused request did not spend the key's bucket: 9 tokens are left for another client.
  for (let i = 0; i < 9; i++)
    assert.equal(buckets.takeAll([key, { ...client, name: `key c${i}` }], 0).ok, true);
  assert.deepEqual(buckets.takeAll([key, { ...client, name: 'key c9' }], 0), {
    ok: false,
    retryAfterMs: 1000,
  });
  assert.equal(buckets.takeAll([key, client], 2000).ok, true);
});

test('TokenBuckets forgets the least recently used past its capacity, and by prefix', () => {
  const buckets = new TokenBuckets(2);
  const one = { perSecond: 0.001, burst: 1 };
  assert.equal(buckets.takeAll([{ name: 'a', rate: one }], 0).ok, true);
  assert.equal(buckets.takeAll([{ name: 'b', rate: one }], 0).ok, true);
  assert.equal(buckets.takeAll([{ name: 'c', rate: one }], 0).ok, true);
  assert.equal(buckets.size, 2);
  // 'a' was forgotten: it starts full again; 'c' is still empty.
  assert.equal(buckets.takeAll([{ name: 'a', rate: one }], 0).ok, true);
  assert.equal(buckets.takeAll([{ name: 'c', rate: one }], 0).ok, false);
  buckets.forget('c');
  assert.equal(buckets.takeAll([{ name: 'c', rate: one }], 0).ok, true);
});
