import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { EVENT_TYPES } from '../../src/core/catalog.ts';
import { createEventChecker, type EventProblem } from '../../src/core/event-validation.ts';

interface Example {
  readonly title: string;
  readonly payload: Record<string, unknown>;
}

const FIXTURE = new URL('../fixtures/appcues-examples.json', import.meta.url);
const EXAMPLES: readonly Example[] = JSON.parse(readFileSync(FIXTURE, 'utf8'));

const checker = createEventChecker();

function problemsOf(value: unknown): EventProblem[] {
  const result = checker.check(value);
  assert.equal(result.ok, false, `expected a refusal of ${JSON.stringify(value)}`);
  return result.ok ? [] : result.problems;
}

function accepts(value: unknown): { type: string | undefined; contentId: string | null } {
  const result = checker.check(value);
  assert.ok(result.ok, `expected acceptance, got ${JSON.stringify(result)}`);
  return { type: result.type?.id, contentId: result.contentId };
}

const base = { user_id: 'user-1' };

describe('event validation', () => {
  it('accepts each of the 13 seed examples as the type titled like it', () => {
    for (const { title, payload } of EXAMPLES) {
      const result = checker.check(payload);
      assert.ok(result.ok, `${title}: ${JSON.stringify(result)}`);
      assert.equal(result.type?.label, title);
      assert.notEqual(result.contentId, null, title);
    }
  });

  it('accepts every catalog sample as its own type', () => {
    for (const type of EVENT_TYPES) {
      const result = checker.check(type.sample);
      assert.ok(result.ok, `${type.id}: ${JSON.stringify(result)}`);
      assert.equal(result.type, type);
    }
  });

  it('accepts the seed’s NPS Feedback quirk, and refuses the same name with neither score nor feedback', () => {
    const feedback = EXAMPLES.find((example) => example.title === 'NPS Feedback')!.payload;
    assert.equal(feedback.name, 'appcues:nps_score');
    assert.deepEqual(accepts(feedback), {
      type: 'nps_feedback',
      contentId: 'c32fb928-7a1a-4feb-8993-696aa68fe5fb',
    });
    assert.deepEqual(problemsOf({ ...base, name: 'appcues:nps_score', attributes: { flowId: 'f1' } }), [
      { path: '/attributes/score', message: "must have required property 'score'" },
    ]);
  });

  it('accepts custom events with only an envelope', () => {
    assert.deepEqual(accepts({ name: 'signed_up', user_id: 'u1' }), { type: undefined, contentId: null });
    assert.deepEqual(accepts({ name: 'appcues:step_interacted', user_id: 'u1', attributes: {} }), {
      type: undefined,
      contentId: null,
    });
    // Unknown top-level fields and any `source` and `ingested_at` are allowed.
    accepts({ name: 'x', user_id: 'u1', extra: [1, 2], source: { web: true }, ingested_at: 'later' });
  });

  it('reports the content id of a known event', () => {
    assert.deepEqual(accepts({ ...base, name: 'tour_completed', attributes: { tourId: 7 } }), {
      type: 'tour_completed',
      contentId: '7',
    });
    assert.deepEqual(
      accepts({ ...base, name: 'tour_completed', attributes: { contentId: 'c', tourId: 't' } }),
      {
        type: 'tour_completed',
        contentId: 'c',
      },
    );
    assert.deepEqual(accepts({ ...base, name: 'user_created' }), { type: 'user_created', contentId: null });
  });

  describe('refuses', () => {
    it('a flow event without flowId, pointing at the missing property', () => {
      assert.deepEqual(
        problemsOf({ ...base, name: 'appcues:flow_completed', attributes: { flowName: 'x' } }),
        [{ path: '/attributes/flowId', message: "must have required property 'flowId'" }],
      );
      assert.deepEqual(problemsOf({ ...base, name: 'appcues:flow_completed' }), [
        { path: '/attributes', message: "must have required property 'attributes'" },
      ]);
    });

    it('an NPS score that is not a number', () => {
      const attributes = { flowId: 'f1', score: '10' };
      assert.deepEqual(problemsOf({ ...base, name: 'appcues:nps_score', attributes }), [
        { path: '/attributes/score', message: 'must be number' },
      ]);
    });

    it('NPS feedback that is not a string', () => {
      const attributes = { flowId: 'f1', feedback: 5 };
      assert.deepEqual(problemsOf({ ...base, name: 'appcues:nps_feedback', attributes }), [
        { path: '/attributes/feedback', message: 'must be string' },
      ]);
    });

    it('a Usetiful event with neither of its content ids, naming both', () => {
      assert.deepEqual(problemsOf({ ...base, name: 'banner_seen', attributes: {} }), [
        { path: '/attributes', message: "must have required property 'contentId' or 'bannerId'" },
      ]);
      const [problem] = problemsOf({ ...base, name: 'tour_completed', attributes: { contentId: true } });
      assert.equal(problem?.path, '/attributes/contentId');
    });

    it('a missing or empty name', () => {
      assert.deepEqual(problemsOf({ user_id: 'u1' }), [
        { path: '/name', message: "must have required property 'name'" },
      ]);
      assert.equal(problemsOf({ name: '', user_id: 'u1' })[0]?.path, '/name');
      assert.equal(problemsOf({ name: 'x'.repeat(201), user_id: 'u1' })[0]?.path, '/name');
      assert.equal(problemsOf({ name: 42, user_id: 'u1' })[0]?.path, '/name');
    });

    it('a user_id that is not a non-empty string of at most 500 characters', () => {
      assert.deepEqual(problemsOf({ name: 'x', user_id: 42 }), [
        { path: '/user_id', message: 'must be string' },
      ]);
      assert.equal(problemsOf({ name: 'x' })[0]?.path, '/user_id');
      assert.equal(problemsOf({ name: 'x', user_id: '' })[0]?.path, '/user_id');
      assert.equal(problemsOf({ name: 'x', user_id: 'u'.repeat(501) })[0]?.path, '/user_id');
      accepts({ name: 'x', user_id: 'u'.repeat(500) });
    });

    it('badly typed optional envelope fields', () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ id: '' }, '/id'],
        [{ id: 12 }, '/id'],
        [{ id: 'i'.repeat(201) }, '/id'],
        [{ account_id: 7 }, '/account_id'],
        [{ group_id: 7 }, '/group_id'],
        [{ timestamp: -1 }, '/timestamp'],
        [{ timestamp: 1.5 }, '/timestamp'],
        [{ timestamp: '1684868251905' }, '/timestamp'],
        [{ attributes: [] }, '/attributes'],
        [{ attributes: null }, '/attributes'],
        [{ context: 'https://example.com' }, '/context'],
      ];
      for (const [fields, path] of cases) {
        assert.equal(
          problemsOf({ name: 'x', user_id: 'u1', ...fields })[0]?.path,
          path,
          JSON.stringify(fields),
        );
      }
      accepts({ name: 'x', user_id: 'u1', group_id: null, context: null, timestamp: 0 });
    });

    it('anything that is not a JSON object', () => {
      for (const value of [null, undefined, [], [{ name: 'x', user_id: 'u' }], 'event', 42, true]) {
        assert.deepEqual(problemsOf(value), [{ path: '', message: 'must be object' }], String(value));
      }
    });
  });

  describe('never throws', () => {
    it('on __proto__ and constructor keys, without polluting Object.prototype', () => {
      const json =
        '{"name":"tour_completed","user_id":"u1","__proto__":{"polluted":1},' +
        '"attributes":{"__proto__":{"contentId":"c1","polluted":1},"constructor":{"prototype":{"polluted":1}},"tourId":"t1"}}';
      assert.deepEqual(accepts(JSON.parse(json)), { type: 'tour_completed', contentId: 't1' });
      const onlyProto =
        '{"name":"tour_completed","user_id":"u1","attributes":{"__proto__":{"contentId":"c1"}}}';
      assert.equal(problemsOf(JSON.parse(onlyProto))[0]?.path, '/attributes');
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false);
    });

    it('on deep nesting and huge strings', () => {
      let deep: unknown = {};
      for (let depth = 0; depth < 100_000; depth++) deep = { deep };
      accepts({ name: 'x', user_id: 'u1', attributes: { deep }, context: { deep } });
      const huge = 'x'.repeat(1_000_000);
      assert.equal(problemsOf({ name: huge, user_id: 'u1' })[0]?.path, '/name');
      assert.equal(problemsOf({ name: 'x', user_id: huge })[0]?.path, '/user_id');
      accepts({ name: 'appcues:flow_started', user_id: 'u1', attributes: { flowId: huge, note: huge } });
    });

    it('on objects without a prototype', () => {
      const event = Object.assign(Object.create(null) as Record<string, unknown>, {
        name: 'appcues:flow_started',
        user_id: 'u1',
        attributes: Object.assign(Object.create(null) as Record<string, unknown>, { flowId: 'f1' }),
      });
      assert.deepEqual(accepts(event), { type: 'flow_started', contentId: 'f1' });
    });
  });

  it('keeps the checkers independent and reusable', () => {
    const other = createEventChecker();
    for (let round = 0; round < 3; round++) {
      assert.equal(other.check(EXAMPLES[0]!.payload).ok, true);
      assert.equal(other.check({ name: 'appcues:flow_started', user_id: 'u1', attributes: {} }).ok, false);
    }
  });
});
