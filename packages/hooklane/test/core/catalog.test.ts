import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  contentIdOf,
  EVENT_TYPES,
  type EventType,
  findEventType,
  recognise,
  toPublicEventType,
} from '../../src/core/catalog.ts';

interface Example {
  readonly title: string;
  readonly payload: Record<string, unknown>;
}

const FIXTURE = new URL('../fixtures/appcues-examples.json', import.meta.url);
const EXAMPLES: readonly Example[] = JSON.parse(readFileSync(FIXTURE, 'utf8'));

function typeOf(id: string): EventType {
  const type = findEventType(id);
  assert.ok(type, `catalog has ${id}`);
  return type;
}

describe('event catalog', () => {
  it('has the 21 documented types, in order, with unique ids', () => {
    assert.deepEqual(
      EVENT_TYPES.map((type) => type.id),
      [
        'nps_score',
        'nps_feedback',
        'flow_started',
        'flow_completed',
        'flow_skipped',
        'flow_button_clicked',
        'flow_form_submitted',
        'checklist_item_completed',
        'checklist_completed',
        'checklist_skipped',
        'checklist_shown',
        'mobile_flow_started',
        'pin_interacted',
        'tour_completed',
        'checklist_dismissed',
        'banner_seen',
        'banner_closed',
        'user_created',
        'user_tag_added',
        'script_tag_set',
        'auto_segment_changed',
      ],
    );
    assert.equal(new Set(EVENT_TYPES.map((type) => type.id)).size, 21);
    assert.equal(EVENT_TYPES.filter((type) => type.source === 'appcues').length, 13);
  });

  it('recognises each of the 13 seed examples as the type titled like it', () => {
    assert.equal(EXAMPLES.length, 13);
    for (const { title, payload } of EXAMPLES) {
      const type = recognise(payload as { name: string; attributes?: unknown });
      assert.equal(type?.label, title, title);
    }
  });

  it('uses each seed example, field for field, as its type’s sample', () => {
    for (const { title, payload } of EXAMPLES) {
      const type = EVENT_TYPES.find((candidate) => candidate.label === title);
      assert.ok(type, title);
      assert.deepEqual(type.sample, payload, title);
      assert.deepEqual(Object.keys(type.sample), Object.keys(payload), `${title}: field order`);
    }
  });

  it('recognises every sample as its own type', () => {
    for (const type of EVENT_TYPES) {
      assert.equal(recognise(type.sample as { name: string }), type, type.id);
      assert.ok(type.names.includes(type.sample.name as string), type.id);
    }
  });

  it('gives the Usetiful-only samples the seed envelope', () => {
    for (const type of EVENT_TYPES.filter((candidate) => candidate.source === 'usetiful')) {
      const { sample } = type;
      assert.match(
        String(sample.id),
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
        type.id,
      );
      assert.equal(sample.name, type.id);
      assert.equal(sample.group_id, null);
      assert.equal(typeof sample.account_id, 'string');
      assert.equal(typeof sample.user_id, 'string');
      assert.equal(typeof sample.timestamp, 'number');
      assert.equal(typeof sample.ingested_at, 'number');
      assert.equal(typeof sample.attributes, 'object');
      assert.equal(typeof (sample.context as { url?: unknown }).url, 'string');
      assert.equal(contentIdOf(type, sample) === null, type.id === 'user_created', type.id);
    }
  });

  describe('recognise', () => {
    it('reads appcues:nps_score with feedback and no score as NPS Feedback', () => {
      const name = 'appcues:nps_score';
      assert.equal(recognise({ name, attributes: { feedback: 'great stuff' } })?.id, 'nps_feedback');
      assert.equal(recognise({ name, attributes: { feedback: 'ok', score: null } })?.id, 'nps_feedback');
      assert.equal(recognise({ name, attributes: { feedback: 'ok', score: 7 } })?.id, 'nps_score');
      assert.equal(recognise({ name, attributes: { score: 0 } })?.id, 'nps_score');
      // Neither: still NPS Score, so that validation refuses it for lacking the score.
      assert.equal(recognise({ name, attributes: {} })?.id, 'nps_score');
      assert.equal(recognise({ name })?.id, 'nps_score');
      assert.equal(recognise({ name: 'appcues:nps_feedback', attributes: {} })?.id, 'nps_feedback');
    });

    it('treats a step interaction other than a click as a custom event', () => {
      const name = 'appcues:step_interacted';
      assert.equal(recognise({ name, attributes: { interactionType: 'click' } })?.id, 'flow_button_clicked');
      assert.equal(recognise({ name, attributes: { interactionType: 'submit' } }), undefined);
      assert.equal(recognise({ name, attributes: {} }), undefined);
      assert.equal(recognise({ name }), undefined);
    });

    it('tells mobile flows from pins by experienceType', () => {
      const interaction = 'appcues:v2:step_interaction';
      const started = 'appcues:v2:experience_started';
      const mobile = { experienceType: 'mobile' };
      const persistent = { experienceType: 'persistent' };
      assert.equal(recognise({ name: interaction, attributes: mobile })?.id, 'mobile_flow_started');
      assert.equal(recognise({ name: started, attributes: mobile })?.id, 'mobile_flow_started');
      assert.equal(recognise({ name: interaction, attributes: persistent })?.id, 'pin_interacted');
      assert.equal(recognise({ name: started, attributes: persistent }), undefined);
      assert.equal(recognise({ name: interaction, attributes: { experienceType: 'web' } }), undefined);
    });

    it('knows both spellings of the checklist completion events', () => {
      for (const id of ['checklist_item_completed', 'checklist_completed']) {
        assert.equal(recognise({ name: id })?.id, id);
        assert.equal(recognise({ name: `appcues:${id}` })?.id, id);
      }
    });

    it('maps each Usetiful name to the type of the same id', () => {
      for (const id of [
        'tour_completed',
        'checklist_dismissed',
        'banner_seen',
        'banner_closed',
        'user_created',
        'user_tag_added',
        'script_tag_set',
        'auto_segment_changed',
      ]) {
        assert.equal(recognise({ name: id })?.id, id);
      }
    });

    it('returns undefined for custom names, type ids that are not names, and odd attributes', () => {
      assert.equal(recognise({ name: 'signed_up' }), undefined);
      assert.equal(recognise({ name: 'flow_completed' }), undefined);
      assert.equal(recognise({ name: 'APPCUES:FLOW_COMPLETED' }), undefined);
      assert.equal(recognise({ name: '__proto__' }), undefined);
      assert.equal(recognise({ name: 'appcues:step_interacted', attributes: 'click' }), undefined);
      assert.equal(recognise({ name: 'appcues:nps_score', attributes: null })?.id, 'nps_score');
    });

    it('ignores inherited attributes', () => {
      const attributes = Object.create({ interactionType: 'click' }) as Record<string, unknown>;
      assert.equal(recognise({ name: 'appcues:step_interacted', attributes }), undefined);
    });
  });

  describe('contentIdOf', () => {
    it('reads the content id of each seed example', () => {
      const flow = typeOf('flow_completed');
      assert.equal(contentIdOf(flow, flow.sample), 'daf26add-b4ec-466e-92a7-349defcd55fa');
      const checklist = typeOf('checklist_shown');
      assert.equal(contentIdOf(checklist, checklist.sample), 'cb4f19a2-43a7-42ea-a860-16c9be3cfe43');
      const pin = typeOf('pin_interacted');
      assert.equal(contentIdOf(pin, pin.sample), 'df38c205-aef4-45e0-91e6-e848b117899c');
    });

    it('takes the first present path: contentId before tourId', () => {
      const tour = typeOf('tour_completed');
      assert.equal(contentIdOf(tour, { attributes: { contentId: 'c1', tourId: 't1' } }), 'c1');
      assert.equal(contentIdOf(tour, { attributes: { tourId: 't1', contentId: 'c1' } }), 'c1');
      assert.equal(contentIdOf(tour, { attributes: { tourId: 't1' } }), 't1');
      assert.equal(contentIdOf(tour, { attributes: { contentId: null, tourId: 't1' } }), 't1');
      assert.equal(contentIdOf(tour, { attributes: { contentId: '', tourId: 't1' } }), 't1');
      const banner = typeOf('banner_closed');
      assert.equal(contentIdOf(banner, { attributes: { bannerId: 'b1' } }), 'b1');
      const dismissed = typeOf('checklist_dismissed');
      assert.equal(contentIdOf(dismissed, { attributes: { checklistId: 'k1' } }), 'k1');
    });

    it('stringifies numbers and ignores other values', () => {
      const tour = typeOf('tour_completed');
      assert.equal(contentIdOf(tour, { attributes: { tourId: 42 } }), '42');
      assert.equal(contentIdOf(tour, { attributes: { contentId: 0 } }), '0');
      assert.equal(contentIdOf(tour, { attributes: { contentId: Number.NaN } }), null);
      assert.equal(contentIdOf(tour, { attributes: { contentId: { id: 'x' }, tourId: true } }), null);
    });

    it('uses tags and segments as content ids', () => {
      assert.equal(contentIdOf(typeOf('user_tag_added'), { attributes: { tag: 'beta' } }), 'beta');
      assert.equal(contentIdOf(typeOf('script_tag_set'), { attributes: { tag: 'plan' } }), 'plan');
      assert.equal(contentIdOf(typeOf('auto_segment_changed'), { attributes: { segmentId: 's1' } }), 's1');
    });

    it('is null for custom events, user_created, and missing attributes', () => {
      assert.equal(contentIdOf(undefined, { attributes: { flowId: 'f1' } }), null);
      assert.equal(contentIdOf(typeOf('user_created'), { attributes: { contentId: 'x' } }), null);
      assert.equal(contentIdOf(typeOf('flow_started'), {}), null);
      assert.equal(contentIdOf(typeOf('flow_started'), { attributes: null }), null);
      assert.equal(contentIdOf(typeOf('flow_started'), { attributes: ['f1'] }), null);
    });
  });

  it('findEventType finds by id only', () => {
    assert.equal(findEventType('banner_seen')?.label, 'Banner Seen');
    assert.equal(findEventType('appcues:flow_completed'), undefined);
    assert.equal(findEventType('constructor'), undefined);
  });

  it('is frozen, so no consumer can change what others read', () => {
    const type = typeOf('flow_completed');
    assert.ok(Object.isFrozen(EVENT_TYPES));
    assert.ok(Object.isFrozen(type));
    assert.ok(Object.isFrozen(type.sample));
    assert.ok(Object.isFrozen(type.sample.attributes));
    assert.ok(Object.isFrozen(type.schema));
  });

  it('publishes each type in snake_case, as mutable copies', () => {
    const type = typeOf('tour_completed');
    const published = toPublicEventType(type);
    assert.deepEqual(Object.keys(published), [
      'id',
      'label',
      'source',
      'names',
      'description',
      'content_id_paths',
      'schema',
      'sample',
    ]);
    assert.equal(published.id, 'tour_completed');
    assert.equal(published.label, 'Tour Completed');
    assert.equal(published.source, 'usetiful');
    assert.deepEqual(published.names, ['tour_completed']);
    assert.deepEqual(published.content_id_paths, ['contentId', 'tourId']);
    assert.deepEqual(published.schema, type.schema);
    assert.deepEqual(published.sample, type.sample);
    assert.notEqual(published.sample, type.sample);
    assert.ok(!Object.isFrozen(published.sample));
    // JSON all the way down, since the HTTP layer serialises it as is.
    assert.deepEqual(JSON.parse(JSON.stringify(published)), published);
  });
});
