import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_TYPES } from '../../hooklane/src/core/catalog.ts';
import { APPCUES_EVENTS, bridgeAppcues } from '../src/appcues.ts';
import { World } from './fake-browser.ts';

type Listener = (name: string, event: Record<string, unknown>) => void;

/** The Appcues web SDK as far as the bridge sees it: `on('all', ...)` and events to emit. */
class FakeAppcues {
  listeners: Listener[] = [];
  on(name: 'all', listener: Listener): void {
    assert.equal(name, 'all');
    this.listeners.push(listener);
  }
  emit(name: string, event: Record<string, unknown>): void {
    for (const listener of this.listeners) listener(name, event);
  }
}

const appcuesTypes = EVENT_TYPES.filter((type) => type.source === 'appcues');

describe('bridgeAppcues', () => {
  it('forwards exactly the catalog’s appcues: names', () => {
    const catalogNames = new Set(
      appcuesTypes.flatMap((type) => type.names).filter((name) => name.startsWith('appcues:')),
    );
    assert.deepEqual(new Set(APPCUES_EVENTS.map((name) => `appcues:${name}`)), catalogNames);
  });

  it('turns each seed example’s SDK event into the catalog event with the seed’s attributes', async () => {
    const world = new World();
    const page = world.open();
    const appcues = new FakeAppcues();
    bridgeAppcues(appcues, page.client);
    for (const type of appcuesTypes) {
      const sample = type.sample as { name: string; attributes: Record<string, unknown> };
      const short = sample.name.slice('appcues:'.length);
      // As the SDK gives it: its code and label, its own clock, and the fields.
      appcues.emit(short, { id: short, name: type.label, timestamp: 1684868069070, ...sample.attributes });
    }
    await page.client.flush();
    const sent = world.sentEvents();
    assert.equal(sent.length, appcuesTypes.length);
    appcuesTypes.forEach((type, i) => {
      assert.equal(sent[i].name, type.sample.name, type.id);
      assert.deepEqual(sent[i].attributes, type.sample.attributes, type.id);
      assert.equal('timestamp' in sent[i], false);
    });
  });

  it('leaves out the SDK’s internal events and takes names already prefixed', async () => {
    const world = new World();
    const page = world.open();
    const appcues = new FakeAppcues();
    bridgeAppcues(appcues, page.client);
    appcues.emit('step_started', { flowId: 'f1' });
    appcues.emit('form_field_submitted', { flowId: 'f1' });
    appcues.emit('appcues:flow_started', { flowId: 'f1' });
    await page.client.flush();
    assert.deepEqual(
      world.sentEvents().map((event) => [event.name, event.attributes]),
      [['appcues:flow_started', { flowId: 'f1' }]],
    );
  });
});
