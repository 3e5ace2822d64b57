import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOCK_TTL } from '../src/client.ts';
import { response, World } from './fake-browser.ts';

describe('the stored queue', () => {
  it('keeps unsent events across a reload and sends them, with the same ids, from the next page', async () => {
    const world = new World();
    world.answers.push('network');
    const first = world.open();
    for (const name of ['a', 'b', 'c']) first.client.track(name);
    await world.advance(5000);
    assert.equal(world.requests.length, 1);
    const ids = world.requests[0]!.body.events.map((event: any) => event.id);
    first.close(); // closed before its retry
    await world.advance(20_000);

    world.open(); // the user comes back
    await world.advance(0);
    assert.equal(world.requests.length, 2, 'the new page sends what it found without waiting');
    assert.deepEqual(
      world.requests[1]!.body.events.map((event: any) => event.id),
      ids,
    );
    assert.deepEqual(world.stored(), []);
  });

  it('keeps at most maxQueue events, dropping the oldest first', async () => {
    const world = new World();
    const page = world.open({ maxQueue: 500 });
    world.answers.push(...Array<'network'>(100).fill('network'));
    for (let i = 0; i < 505; i++) page.client.track('e', { i });
    const stored = world.stored();
    assert.equal(stored.length, 500);
    assert.equal(stored[0].e.attributes.i, 5);
    assert.equal(stored.at(-1).e.attributes.i, 504);

    world.answers.length = 0;
    await world.advance(3_600_000);
    const sent = world.sentEvents().map((event) => event.attributes.i);
    assert.deepEqual(
      [...new Set(sent)],
      Array.from({ length: 500 }, (_, i) => i + 5),
    );
    assert.deepEqual(world.stored(), []);
  });

  it('lets one tab send at a time: the other leaves its events to it', async () => {
    const world = new World();
    const a = world.open();
    const b = world.open();
    let answer!: (value: ReturnType<typeof response>) => void;
    world.answers.push(new Promise((resolve) => (answer = resolve)));
    a.client.track('from-a');
    await world.advance(5000); // a's request is in flight, a holds the lock
    assert.equal(world.requests.length, 1);

    b.client.track('from-b');
    await world.advance(5000); // b's timer fires: the lock is a's
    assert.equal(world.requests.length, 1);
    assert.match(world.storage.getItem('hooklane:acc_1:lock')!, /^\S+ \d+$/);

    answer(response(202));
    await world.advance(0); // a goes on with what is left, b's event included
    assert.equal(world.requests.length, 2);
    assert.deepEqual(
      world.sentEvents().map((event) => event.name),
      ['from-a', 'from-b'],
    );
    assert.equal(world.storage.getItem('hooklane:acc_1:lock'), null, 'released when nothing is left');
    await world.advance(60_000);
    assert.equal(world.requests.length, 2, 'b sends nothing twice');
  });

  it('takes over the lock of a tab that went away while sending, once it expires', async () => {
    const world = new World();
    const a = world.open();
    world.answers.push(new Promise(() => {})); // never answered: a is closed meanwhile
    a.client.track('from-a');
    await world.advance(5000);
    a.close();

    const b = world.open();
    b.client.track('from-b');
    await world.advance(LOCK_TTL - 1);
    assert.equal(world.requests.length, 1);
    await world.advance(5000);
    assert.equal(world.requests.length, 2);
    assert.deepEqual(
      world.requests[1]!.body.events.map((event: any) => event.name),
      ['from-a', 'from-b'],
      'a second send of from-a is harmless: its id is the same',
    );
    assert.equal(world.requests[1]!.body.events[0].id, world.requests[0]!.body.events[0].id);
  });

  it('works without localStorage, in memory', async () => {
    const world = new World();
    const throwing = {
      getItem(): string {
        throw new Error('SecurityError');
      },
      setItem(): void {
        throw new Error('QuotaExceededError');
      },
      removeItem(): void {},
    };
    const page = world.open({ env: { storage: throwing } });
    page.client.track('a');
    await world.advance(5000);
    assert.deepEqual(
      world.sentEvents().map((event) => event.name),
      ['a'],
    );
    assert.match(world.sentEvents()[0].user_id, /^anon:/);
  });
});
