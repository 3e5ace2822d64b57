import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { World } from './fake-browser.ts';

describe('users and groups', () => {
  it('uses one anonymous id, kept across reloads, until identify; then the user id and traits', async () => {
    const world = new World();
    const first = world.open();
    first.client.track('a');
    first.close();
    const second = world.open();
    second.client.track('b');
    second.client.identify('user-5821', { plan: 'pro' });
    second.client.group('team-7');
    second.client.track('c');
    await second.client.flush();
    const [a, b, c] = world.sentEvents();
    assert.match(a.user_id, /^anon:[0-9a-f-]{36}$/);
    assert.equal(b.user_id, a.user_id);
    assert.equal(b.group_id, null);
    assert.equal(c.user_id, 'user-5821');
    assert.equal(c.group_id, 'team-7');
    assert.deepEqual(c.context, { url: 'https://app.example.com/dashboard', traits: { plan: 'pro' } });

    const third = world.open();
    assert.equal(third.client.userId(), 'user-5821', 'the next page knows the user');
    third.client.reset();
    assert.match(third.client.userId(), /^anon:/);
    assert.notEqual(third.client.userId(), a.user_id);
  });
});

describe('trigger', () => {
  it('posts {id, data, user_id} to the trigger endpoint and resolves to the status', async () => {
    const world = new World();
    const page = world.open();
    page.client.identify('user-5821');
    world.answers.push(202);
    assert.equal(await page.client.trigger('tour finished', { email: 'a@example.com' }), 202);
    const [request] = world.requests;
    assert.equal(
      request!.url,
      'https://hooks.example.com/v1/accounts/acc_1/triggers/tour%20finished?key=hlp_test',
    );
    assert.deepEqual(request!.options.headers, { 'content-type': 'text/plain' });
    assert.equal(request!.options.keepalive, true);
    assert.deepEqual(request!.body, {
      id: request!.body.id,
      data: { email: 'a@example.com' },
      user_id: 'user-5821',
    });
  });

  it('retries on 503 and no answer with the same id, but not on 403', async () => {
    const world = new World();
    const page = world.open();
    world.answers.push(503, 'network', 200);
    const done = page.client.trigger('tour_done');
    await world.advance(10_000);
    assert.equal(await done, 200);
    assert.equal(world.requests.length, 3);
    assert.equal(new Set(world.requests.map((request) => request.body.id)).size, 1);

    world.answers.push(403);
    assert.equal(await page.client.trigger('tour_done'), 403);
    assert.equal(world.requests.length, 4);
  });
});

describe('what track and identify accept', () => {
  for (const storage of ['localStorage', 'memory only'] as const) {
    it(`queues a copy of the attributes, and refuses what JSON cannot hold without blocking the queue (${storage})`, async () => {
      const world = new World();
      const page = world.open(storage === 'memory only' ? { env: { storage: undefined } } : {});
      const attributes: Record<string, unknown> = { step: 1 };
      page.client.track('a', attributes);
      attributes.step = 2; // changed after track: not what was tracked
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      assert.throws(() => page.client.track('bad', circular), TypeError);
      assert.throws(() => page.client.identify('u1', circular), TypeError);
      page.client.track('b');
      await page.client.flush();
      assert.deepEqual(
        world.sentEvents().map((event) => [event.name, event.attributes, event.user_id]),
        [
          ['a', { step: 1 }, world.sentEvents()[0].user_id],
          ['b', {}, world.sentEvents()[0].user_id],
        ],
      );
      assert.match(world.sentEvents()[0].user_id, /^anon:/);
    });
  }
});
