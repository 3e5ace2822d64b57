import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { World } from './fake-browser.ts';

describe('batching', () => {
  it('sends nothing for nine events, and one request at the tenth', async () => {
    const world = new World();
    const page = world.open();
    for (let i = 1; i <= 9; i++) page.client.track('clicked', { n: i });
    await world.advance(4000);
    assert.equal(world.requests.length, 0);
    page.client.track('clicked', { n: 10 });
    await world.advance(0);
    assert.equal(world.requests.length, 1);
    assert.deepEqual(
      world.requests[0]!.body.events.map((event: any) => event.attributes.n),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
  });

  it('sends fewer than ten events 5 s after the first of them', async () => {
    const world = new World();
    const page = world.open();
    page.client.track('a');
    await world.advance(3000);
    page.client.track('b');
    await world.advance(1999);
    assert.equal(world.requests.length, 0);
    await world.advance(1);
    assert.equal(world.requests.length, 1);
    assert.equal(world.requests[0]!.at, 5000);
    assert.deepEqual(
      world.requests[0]!.body.events.map((event: any) => event.name),
      ['a', 'b'],
    );
    await world.advance(60_000);
    assert.equal(world.requests.length, 1, 'nothing is sent twice');
    assert.deepEqual(world.stored(), []);
  });

  it('posts text/plain JSON with keepalive, the key in the query string and no credentials', async () => {
    const world = new World();
    const page = world.open({ url: 'https://hooks.example.com/' });
    page.client.track('banner_closed', { contentId: 'b1' });
    await page.client.flush();
    const [request] = world.requests;
    assert.equal(request!.url, 'https://hooks.example.com/v1/accounts/acc_1/events?key=hlp_test');
    assert.equal(request!.options.method, 'POST');
    assert.equal(request!.options.keepalive, true);
    assert.equal(request!.options.credentials, 'omit');
    // Only CORS-safelisted headers, so the browser sends no preflight.
    assert.deepEqual(request!.options.headers, { 'content-type': 'text/plain' });
    assert.deepEqual(Object.keys(request!.body), ['events']);
    const event = request!.body.events[0];
    assert.deepEqual(event, {
      id: event.id,
      name: 'banner_closed',
      user_id: event.user_id,
      group_id: null,
      attributes: { contentId: 'b1' },
      context: { url: 'https://app.example.com/dashboard' },
      age_ms: 0,
    });
    assert.match(event.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(event.user_id, /^anon:/);
  });

  it('sends at once on pagehide and when the page is hidden, not when it becomes visible', async () => {
    const world = new World();
    const page = world.open();
    page.client.track('a');
    page.pagehide();
    assert.equal(world.requests.length, 1, 'the request starts inside the pagehide handler');
    assert.equal(world.requests[0]!.options.keepalive, true);

    page.client.track('b');
    page.setVisibility('visible');
    await world.advance(0);
    assert.equal(world.requests.length, 1);
    page.setVisibility('hidden');
    assert.equal(world.requests.length, 2);
    assert.deepEqual(
      world.sentEvents().map((event) => event.name),
      ['a', 'b'],
    );
  });

  it('flush() sends every waiting event at once, in batches of ten', async () => {
    const world = new World();
    const page = world.open();
    for (let i = 0; i < 25; i++) page.client.track('e', { i });
    const ids = world.stored().map((queued) => queued.e.id);
    await page.client.flush();
    assert.equal(world.t, 0);
    assert.deepEqual(
      world.requests.map((request) => request.body.events.length),
      [10, 10, 5],
    );
    assert.deepEqual(
      world.sentEvents().map((event) => event.id),
      ids,
    );
    assert.deepEqual(world.stored(), []);
  });
});

describe('age instead of timestamp', () => {
  it('sends age_ms from the page’s monotonic clock and no timestamp, whatever the wall clock does', async () => {
    const world = new World();
    world.answers.push('network');
    const page = world.open();
    page.client.track('a');
    await world.advance(5000); // fails: no answer
    world.skew = -3_600_000; // the user sets the computer's clock an hour back
    await world.advance(10_000);
    const [first, second] = world.requests.map((request) => request.body.events[0]);
    assert.equal(first.age_ms, 5000);
    assert.equal(second.age_ms, world.requests[1]!.at, 'the age at the time of each send');
    assert.equal('timestamp' in second, false);
    assert.equal(first.id, second.id);
  });

  it('dates an event stored by an earlier page by the wall clock', async () => {
    const world = new World();
    world.answers.push('network');
    const first = world.open();
    first.client.track('a');
    await world.advance(5000);
    first.close();
    await world.advance(20_000);
    world.open();
    await world.advance(0);
    const resent = world.requests[1]!.body.events[0];
    assert.equal(resent.age_ms, 25_000);
  });
});
