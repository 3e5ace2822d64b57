import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KEEPALIVE_LIMIT } from '../src/client.ts';
import { World } from './fake-browser.ts';

const bytes = (text: string) => Buffer.byteLength(text);

describe('keepalive body limit', () => {
  it('splits a batch whose body would pass 64 KiB, keeping the order', async () => {
    const world = new World();
    const page = world.open();
    // 10 events of ~15 KB each (multi-byte characters count as the bytes they take).
    for (let i = 0; i < 10; i++) page.client.track('big', { i, text: 'é'.repeat(7500) });
    await page.client.flush();
    assert.ok(world.requests.length > 1);
    for (const request of world.requests) {
      assert.ok(bytes(request.options.body) <= KEEPALIVE_LIMIT, `${bytes(request.options.body)} bytes`);
      assert.equal(request.options.keepalive, true);
    }
    assert.deepEqual(
      world.sentEvents().map((event) => event.attributes.i),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
  });

  it('sends an event too big for keepalive alone, without keepalive', async () => {
    const world = new World();
    const page = world.open();
    page.client.track('small');
    page.client.track('huge', { text: 'x'.repeat(100_000) });
    page.client.track('small');
    await page.client.flush();
    assert.deepEqual(
      world.requests.map((request) => [
        request.body.events.map((event: any) => event.name),
        request.options.keepalive,
      ]),
      [
        [['small'], true],
        [['huge'], false],
        [['small'], true],
      ],
    );
  });

  it('starts only what fits in one keepalive budget when the page goes away; the rest waits in storage', async () => {
    const world = new World();
    const page = world.open();
    world.answers.push(new Promise(() => {}), new Promise(() => {}), new Promise(() => {}));
    for (let i = 0; i < 8; i++) page.client.track('big', { i, text: 'x'.repeat(20_000) });
    page.pagehide();
    const started = world.requests.reduce((sum, request) => sum + bytes(request.options.body), 0);
    assert.ok(started <= KEEPALIVE_LIMIT, `${started} bytes in flight`);
    assert.equal(world.sentEvents().length, 3);
    assert.equal(world.stored().length, 8, 'nothing is forgotten before the server answers');
  });
});
