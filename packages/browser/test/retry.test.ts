import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outcome, retryAfter } from '../src/client.ts';
import { World } from './fake-browser.ts';

describe('retries', () => {
  it('backs off exponentially, with jitter, up to maxRetryDelay', async () => {
    const world = new World();
    world.random = 0.5; // jitter factor 0.5 + 0.5 / 2 = 0.75
    const page = world.open({ maxRetryDelay: 8000 });
    world.answers.push(503, 503, 503, 503, 503, 503);
    page.client.track('a');
    await world.advance(5000);
    await world.advance(120_000);
    const gaps = world.requests.slice(1).map((request, i) => request.at - world.requests[i]!.at);
    assert.deepEqual(gaps, [750, 1500, 3000, 6000, 6000, 6000]);
    assert.deepEqual(world.stored(), []);
  });

  it('draws the jitter from random(): between half and all of the step', async () => {
    for (const [random, first] of [
      [0, 500],
      [0.998, 999],
    ] as const) {
      const world = new World();
      world.random = random;
      const page = world.open();
      world.answers.push('network');
      page.client.track('a');
      await world.advance(5000);
      await world.advance(2000);
      assert.equal(world.requests[1]!.at - world.requests[0]!.at, first);
    }
  });

  it('honours Retry-After in seconds and as an HTTP date', async () => {
    const world = new World();
    const page = world.open();
    world.answers.push({ status: 429, retryAfter: '7' });
    page.client.track('a');
    await world.advance(5000);
    await world.advance(6999);
    assert.equal(world.requests.length, 1);
    await world.advance(1);
    assert.equal(world.requests.length, 2);

    // The batch goes out in 5 s, and is told to come back 20 s after that.
    world.answers.push({ status: 503, retryAfter: new Date(world.now() + 25_000).toUTCString() });
    page.client.track('b');
    await world.advance(5000);
    const failed = world.requests.length;
    await world.advance(19_000);
    assert.equal(world.requests.length, failed);
    await world.advance(1000);
    assert.equal(world.requests.length, failed + 1);
  });

  it('makes the other tabs wait out a Retry-After too', async () => {
    const world = new World();
    const a = world.open();
    const b = world.open();
    world.answers.push({ status: 429, retryAfter: '30' });
    a.client.track('a');
    await world.advance(5000);
    b.client.track('b');
    await world.advance(29_000);
    assert.equal(world.requests.length, 1);
    await world.advance(1000);
    assert.equal(world.requests.length, 2);
  });

  for (const status of [400, 401, 403, 404, 413, 422]) {
    it(`drops a batch answered ${status}, never retrying it, and goes on with the next`, async () => {
      const world = new World();
      const dropped: [unknown[], number][] = [];
      const page = world.open({ onDrop: (events, code) => dropped.push([events, code]) });
      world.answers.push(status);
      page.client.track('refused');
      await world.advance(5000);
      assert.deepEqual(world.stored(), []);
      assert.equal(dropped.length, 1);
      assert.equal(dropped[0]![1], status);
      assert.equal((dropped[0]![0][0] as any).name, 'refused');
      page.client.track('next');
      await world.advance(3_600_000);
      assert.deepEqual(
        world.sentEvents().map((event) => event.name),
        ['refused', 'next'],
      );
    });
  }

  for (const answer of [408, 429, 500, 502, 503, 504, 'network'] as const) {
    it(`retries a batch answered ${answer}, with the same ids`, async () => {
      const world = new World();
      const page = world.open();
      world.answers.push(answer, answer);
      page.client.track('a');
      page.client.track('b');
      await world.advance(5000);
      await world.advance(10_000);
      assert.equal(world.requests.length, 3);
      const ids = world.requests.map((request) => request.body.events.map((event: any) => event.id).join());
      assert.equal(new Set(ids).size, 1, 'every resend carries the ids of the first send');
      assert.deepEqual(world.stored(), []);
    });
  }

  it('sends at once when the browser comes back online after failing for want of a network', async () => {
    const world = new World();
    const page = world.open();
    world.answers.push('network', 'network', 'network', 'network', 'network', 'network');
    page.client.track('a');
    await world.advance(5000);
    await world.advance(20_000); // the waits have grown to 16 s
    const failed = world.requests.length;
    page.window.dispatchEvent(new Event('online'));
    await world.advance(0);
    assert.equal(world.requests.length, failed + 1);
    assert.equal(world.requests.at(-1)!.at, 25_000);
  });

  it('still waits out a Retry-After when the browser comes back online', async () => {
    const world = new World();
    const page = world.open();
    world.answers.push({ status: 429, retryAfter: '60' });
    page.client.track('a');
    await world.advance(5000);
    page.window.dispatchEvent(new Event('online'));
    await world.advance(59_000);
    assert.equal(world.requests.length, 1);
    await world.advance(1000);
    assert.equal(world.requests.length, 2);
  });

  it('classifies answers and reads Retry-After', () => {
    assert.equal(outcome(202), 'sent');
    assert.equal(outcome(0), 'retry');
    assert.equal(outcome(302), 'retry');
    assert.equal(outcome(408), 'retry');
    assert.equal(outcome(429), 'retry');
    assert.equal(outcome(500), 'retry');
    assert.equal(outcome(410), 'drop');
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfter('120', now), 120_000);
    assert.equal(retryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now), 60_000);
    assert.equal(retryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now), 0, 'a date in the past: now');
    assert.equal(retryAfter('soon', now), undefined);
    assert.equal(retryAfter(null, now), undefined);
    assert.equal(retryAfter('99999999', now), 3_600_000, 'capped at an hour');
  });
});
