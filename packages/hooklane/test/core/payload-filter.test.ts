import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FIELD_OPERATORS,
  FILTER_LIMITS,
  type Filter,
  jsonEqual,
  lookup,
  matches,
  parseFilter,
} from '../../src/core/payload-filter.ts';
import { loadSeeds, seedPayload } from '../helpers/seeds.ts';

const example = seedPayload;

const NPS_SCORE = example('NPS Score');
const NPS_FEEDBACK = example('NPS Feedback');
const FLOW_COMPLETED = example('Web Flow Completed');
const FORM_SUBMITTED = example('Web Flow Form Submitted');
const CHECKLIST_COMPLETED = example('Checklist Completed');

/** An NPS detractor: the seed's NPS Score event with a low score and a comment. */
const DETRACTOR = {
  ...NPS_SCORE,
  id: 'b1d8c3a0-0000-4000-8000-000000000001',
  attributes: { ...(NPS_SCORE.attributes as object), score: 3, feedback: 'too slow' },
};

function parsed(value: unknown): Filter {
  const result = parseFilter(value);
  assert.ok(
    result.ok,
    `should parse: ${JSON.stringify(value)} ${result.ok ? '' : JSON.stringify(result.problems)}`,
  );
  return result.filter;
}

function test(filter: unknown, event: unknown): boolean {
  return matches(parsed(filter), event);
}

function problems(value: unknown): { path: string; message: string }[] {
  const result = parseFilter(value);
  if (result.ok) assert.fail(`should be refused: ${JSON.stringify(value)?.slice(0, 200)}`);
  return result.problems;
}

/** `[path, fragment]`: the one problem a refused filter must report. */
function refusedWith(value: unknown, path: string, fragment: string): void {
  const found = problems(value);
  assert.ok(
    found.some((problem) => problem.path === path && problem.message.includes(fragment)),
    `expected a problem at ${path} containing "${fragment}", got ${JSON.stringify(found)}`,
  );
}

describe('payload filters: the issue example', () => {
  const detractors = { name: 'appcues:nps_score', 'attributes.score': { $lte: 6 } };

  it('NPS detractors only: a low score passes, a high score and other events do not', () => {
    assert.equal(test(detractors, DETRACTOR), true);
    assert.equal(test(detractors, NPS_SCORE), false, 'score 10');
    assert.equal(test(detractors, NPS_FEEDBACK), false, 'no score at all');
    assert.equal(test(detractors, FLOW_COMPLETED), false, 'another name');
  });

  it('every seed example is matched by {} and by its own name', () => {
    for (const { title, payload } of loadSeeds()) {
      assert.equal(test({}, payload), true, title);
      assert.equal(test({ name: payload.name }, payload), true, title);
      assert.equal(test({ name: { $neq: payload.name } }, payload), false, title);
    }
  });
});

describe('payload filters: each operator', () => {
  // [operator, operand, path, event, expected]
  const cases: Array<[string, unknown, string, unknown, boolean]> = [
    ['$eq', 'appcues:nps_score', 'name', NPS_SCORE, true],
    ['$eq', 'appcues:flow_completed', 'name', NPS_SCORE, false],
    ['$eq', 10, 'attributes.score', NPS_SCORE, true],
    ['$eq', '10', 'attributes.score', NPS_SCORE, false],
    ['$eq', null, 'group_id', NPS_SCORE, true],
    ['$eq', { url: 'https://appcues.github.io/flow-testbench/' }, 'context', NPS_SCORE, true],
    ['$neq', 'appcues:flow_completed', 'name', NPS_SCORE, true],
    ['$neq', 10, 'attributes.score', NPS_SCORE, false],
    ['$neq', null, 'attributes._prev_nps_score', NPS_SCORE, false],
    ['$gt', 9, 'attributes.score', NPS_SCORE, true],
    ['$gt', 10, 'attributes.score', NPS_SCORE, false],
    ['$gte', 10, 'attributes.score', NPS_SCORE, true],
    ['$gte', 11, 'attributes.score', NPS_SCORE, false],
    ['$lt', 4, 'attributes.score', DETRACTOR, true],
    ['$lt', 3, 'attributes.score', DETRACTOR, false],
    ['$lte', 3, 'attributes.score', DETRACTOR, true],
    ['$lte', 2.5, 'attributes.score', DETRACTOR, false],
    ['$gt', 'anon:', 'user_id', NPS_SCORE, true],
    ['$lt', 'anon:', 'user_id', NPS_SCORE, false],
    ['$in', ['appcues:flow_completed', 'appcues:nps_score'], 'name', NPS_SCORE, true],
    ['$in', ['appcues:flow_completed', 'appcues:flow_started'], 'name', NPS_SCORE, false],
    ['$in', [9, 10], 'attributes.score', NPS_SCORE, true],
    ['$in', [], 'name', NPS_SCORE, false],
    ['$nin', ['appcues:flow_completed', 'appcues:flow_started'], 'name', NPS_SCORE, true],
    ['$nin', ['appcues:nps_score'], 'name', NPS_SCORE, false],
    ['$nin', [], 'name', NPS_SCORE, true],
    ['$exists', true, 'attributes.feedback', NPS_FEEDBACK, true],
    ['$exists', true, 'attributes.feedback', NPS_SCORE, false],
    ['$exists', false, 'attributes.feedback', NPS_SCORE, true],
    ['$exists', false, 'attributes.feedback', NPS_FEEDBACK, false],
    ['$exists', true, 'attributes._prev_nps_score', NPS_SCORE, true],
    ['$startsWith', 'https://appcues.github.io/', 'context.url', NPS_SCORE, true],
    ['$startsWith', 'HTTPS://', 'context.url', NPS_SCORE, false],
    ['$endsWith', '/flow-testbench/', 'context.url', NPS_SCORE, true],
    ['$endsWith', '/billing', 'context.url', NPS_SCORE, false],
    ['$contains', 'testbench', 'context.url', NPS_SCORE, true],
    ['$contains', 'billing', 'context.url', NPS_SCORE, false],
    ['$contains', 'b', 'tags', { tags: ['a', 'b'] }, true],
    ['$contains', 'c', 'tags', { tags: ['a', 'b'] }, false],
    ['$contains', { id: 2 }, 'items', { items: [{ id: 1 }, { id: 2 }] }, true],
    ['$contains', { id: 3 }, 'items', { items: [{ id: 1 }, { id: 2 }] }, false],
    ['$contains', 'b', 'tags', { tags: ['abc'] }, false],
  ];

  it('covers every field operator', () => {
    const covered = new Set(cases.map(([operator]) => operator));
    assert.deepEqual(
      [...FIELD_OPERATORS].filter((operator) => !covered.has(operator)),
      [],
    );
  });

  for (const [operator, operand, path, event, expected] of cases) {
    it(`${path} ${operator} ${JSON.stringify(operand)} → ${expected}`, () => {
      assert.equal(test({ [path]: { [operator]: operand } }, event), expected);
    });
  }

  it('a plain value means $eq, with deep equality for objects and arrays', () => {
    assert.equal(test({ 'attributes.score': 10 }, NPS_SCORE), true);
    assert.equal(test({ 'attributes.score': 9 }, NPS_SCORE), false);
    assert.equal(test({ context: { url: 'https://appcues.github.io/flow-testbench/' } }, NPS_SCORE), true);
    assert.equal(test({ context: {} }, NPS_SCORE), false, 'no partial object match');
    assert.equal(test({ tags: ['a', 'b'] }, { tags: ['a', 'b'] }), true);
    assert.equal(test({ tags: ['b', 'a'] }, { tags: ['a', 'b'] }), false, 'arrays keep their order');
    assert.equal(test({ tags: ['a'] }, { tags: ['a', 'b'] }), false);
  });

  it('object equality ignores key order and checks every key both ways', () => {
    assert.equal(jsonEqual({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 }), true);
    assert.equal(jsonEqual({ a: 1 }, { a: 1, b: 2 }), false);
    assert.equal(jsonEqual({ a: 1, b: 2 }, { a: 1 }), false);
    assert.equal(jsonEqual({ a: undefined }, { b: undefined }), false);
    assert.equal(jsonEqual([], {}), false);
    assert.equal(jsonEqual(null, {}), false);
  });

  it('several operators on one path all have to hold', () => {
    const passives = { 'attributes.score': { $gte: 7, $lte: 8 } };
    assert.equal(test(passives, { attributes: { score: 7 } }), true);
    assert.equal(test(passives, { attributes: { score: 8 } }), true);
    assert.equal(test(passives, { attributes: { score: 6 } }), false);
    assert.equal(test(passives, { attributes: { score: 9 } }), false);
  });

  it('strings compare in code-unit order, so ISO 8601 times compare chronologically', () => {
    const since = { 'attributes.at': { $gte: '2024-01-01T00:00:00Z' } };
    assert.equal(test(since, { attributes: { at: '2024-03-05T10:00:00Z' } }), true);
    assert.equal(test(since, { attributes: { at: '2023-12-31T23:59:59Z' } }), false);
  });

  it('a numeric segment indexes an array; a bad index is a missing path', () => {
    const answered = { 'attributes.interaction.response.0.value': 'Product Manager' };
    assert.equal(test(answered, FORM_SUBMITTED), true);
    assert.equal(
      test({ 'attributes.interaction.response.1.value': { $exists: true } }, FORM_SUBMITTED),
      false,
    );
    assert.equal(
      test({ 'attributes.interaction.response.00.value': { $exists: true } }, FORM_SUBMITTED),
      false,
    );
    assert.equal(test({ 'attributes.interaction.response.-1': { $exists: true } }, FORM_SUBMITTED), false);
    assert.equal(
      test({ 'attributes.interaction.response.length': { $exists: true } }, FORM_SUBMITTED),
      false,
    );
  });
});

describe('payload filters: combinations', () => {
  it('several keys in one object mean AND', () => {
    const filter = {
      name: 'appcues:nps_score',
      'attributes.score': { $lte: 6 },
      'attributes.feedback': { $exists: true },
    };
    assert.equal(test(filter, DETRACTOR), true);
    assert.equal(test(filter, { ...DETRACTOR, attributes: { score: 3 } }), false);
  });

  it('$and, $or and $not', () => {
    const lowOrCommented = {
      $or: [{ 'attributes.score': { $lte: 6 } }, { 'attributes.feedback': { $exists: true } }],
    };
    assert.equal(test(lowOrCommented, DETRACTOR), true);
    assert.equal(test(lowOrCommented, NPS_FEEDBACK), true);
    assert.equal(test(lowOrCommented, NPS_SCORE), false);

    const both = { $and: [{ name: 'appcues:nps_score' }, { 'attributes.score': { $gt: 8 } }] };
    assert.equal(test(both, NPS_SCORE), true);
    assert.equal(test(both, DETRACTOR), false);

    const notChecklists = { $not: { name: { $startsWith: 'appcues:checklist_' } } };
    assert.equal(test(notChecklists, NPS_SCORE), true);
    assert.equal(test(notChecklists, CHECKLIST_COMPLETED), false);

    const nested = {
      name: 'appcues:nps_score',
      $or: [
        { $and: [{ 'attributes.score': { $gte: 0 } }, { 'attributes.score': { $lte: 6 } }] },
        { $not: { 'attributes.score': { $exists: true } } },
      ],
    };
    assert.equal(test(nested, DETRACTOR), true);
    assert.equal(test(nested, NPS_FEEDBACK), true);
    assert.equal(test(nested, NPS_SCORE), false);
    assert.equal(test(nested, FLOW_COMPLETED), false);
  });

  it('$not of a missing path matches: the way to say "missing or different"', () => {
    const notPromoter = { $not: { 'attributes.score': { $gte: 9 } } };
    assert.equal(test(notPromoter, NPS_FEEDBACK), true);
    assert.equal(test(notPromoter, DETRACTOR), true);
    assert.equal(test(notPromoter, NPS_SCORE), false);
  });
});

describe('payload filters: type mismatches and missing paths never match and never throw', () => {
  it('an operator against a value of another type does not match', () => {
    const cases: Array<[unknown, unknown]> = [
      [{ 'attributes.score': { $gt: '5' } }, NPS_SCORE],
      [{ 'attributes.score': { $lte: '99' } }, NPS_SCORE],
      [{ user_id: { $gt: 5 } }, NPS_SCORE],
      [{ 'attributes.score': { $startsWith: '1' } }, NPS_SCORE],
      [{ 'attributes.score': { $endsWith: '0' } }, NPS_SCORE],
      [{ 'attributes.score': { $contains: 1 } }, NPS_SCORE],
      [{ 'attributes.score': { $contains: '1' } }, NPS_SCORE],
      [{ context: { $contains: 'url' } }, NPS_SCORE],
      [{ 'context.url': { $contains: ['x'] } }, NPS_SCORE],
      [{ group_id: { $gt: 0 } }, NPS_SCORE],
      [{ group_id: { $startsWith: '' } }, NPS_SCORE],
      [{ 'attributes.score': { $in: ['10'] } }, NPS_SCORE],
      [{ 'attributes.flag': true }, { attributes: { flag: 'true' } }],
    ];
    for (const [filter, event] of cases) assert.equal(test(filter, event), false, JSON.stringify(filter));
  });

  it('a missing path matches no operator except $exists: false', () => {
    const operands: Record<string, unknown> = {
      $eq: null,
      $neq: 'anything',
      $gt: 0,
      $gte: 0,
      $lt: 0,
      $lte: 0,
      $in: [null],
      $nin: ['anything'],
      $exists: true,
      $startsWith: '',
      $endsWith: '',
      $contains: '',
    };
    for (const operator of FIELD_OPERATORS) {
      for (const path of [
        'attributes.missing',
        'nothing.here.at.all',
        'name.inner',
        'attributes.score.inner',
      ]) {
        assert.equal(
          test({ [path]: { [operator]: operands[operator] } }, NPS_SCORE),
          false,
          `${path} ${operator}`,
        );
      }
    }
    assert.equal(test({ 'attributes.missing': { $exists: false } }, NPS_SCORE), true);
    assert.equal(test({ 'name.inner': { $exists: false } }, NPS_SCORE), true);
  });

  it('paths read own properties only, never the prototype', () => {
    for (const path of [
      'constructor',
      'attributes.constructor',
      'attributes.toString',
      '__proto__',
      'attributes.hasOwnProperty',
    ]) {
      assert.equal(test({ [path]: { $exists: true } }, NPS_SCORE), false, path);
    }
    const parsedEvent = JSON.parse('{"__proto__": {"polluted": 1}}');
    assert.equal(
      test({ '__proto__.polluted': 1 }, parsedEvent),
      true,
      'a JSON key named __proto__ is an ordinary key',
    );
    assert.equal(lookup({}, ['__proto__']), undefined);
  });

  it('any event value is accepted: not an object, empty, or odd', () => {
    const filter = parsed({ name: 'x', $or: [{ 'a.b': { $exists: false } }, { 'a.0': { $in: [1] } }] });
    for (const event of [
      null,
      undefined,
      0,
      'name',
      [],
      [1, 2],
      {},
      { name: null },
      { a: 'string' },
      { a: [1] },
    ]) {
      assert.doesNotThrow(() => matches(filter, event));
    }
    assert.equal(test({ 'a.b': { $exists: false } }, null), true);
    assert.equal(test({ a: 1 }, null), false);
  });
});

describe('payload filters: validation names the path and the operator', () => {
  // [filter, pointer, fragment of the message]
  const refusals: Array<[unknown, string, string]> = [
    [null, '', 'A condition is a JSON object'],
    [[], '', 'not a list'],
    ['name', '', 'not a string'],
    [
      { 'attributes.score': { $lte: true } },
      '/attributes.score/$lte',
      '`$lte` compares with a number or a string, not a boolean',
    ],
    [
      { 'attributes.score': { $gt: null } },
      '/attributes.score/$gt',
      '`$gt` compares with a number or a string',
    ],
    [{ 'attributes.score': { $gte: [1] } }, '/attributes.score/$gte', 'not a list'],
    [{ 'attributes.score': { $lt: {} } }, '/attributes.score/$lt', 'not an object'],
    [{ name: { $in: 'appcues:nps_score' } }, '/name/$in', '`$in` takes a list of values, not a string'],
    [{ name: { $nin: null } }, '/name/$nin', '`$nin` takes a list of values'],
    [{ name: { $exists: 'yes' } }, '/name/$exists', '`$exists` takes true or false'],
    [{ name: { $startsWith: 1 } }, '/name/$startsWith', '`$startsWith` takes a string, not a number'],
    [{ name: { $endsWith: ['x'] } }, '/name/$endsWith', '`$endsWith` takes a string'],
    [{ name: { $regex: '^a' } }, '/name/$regex', '`$regex` is not an operator'],
    [{ name: { $not: { $eq: 'x' } } }, '/name/$not', '`$not` combines conditions'],
    [{ name: { $eq: 'x', suffix: 'y' } }, '/name/suffix', 'mixes operators with the field `suffix`'],
    [{ $gt: 5 }, '/$gt', '`$gt` applies to a path'],
    [{ $where: 'this.a' }, '/$where', '`$where` is not an operator'],
    [{ $and: [] }, '/$and', '`$and` takes a non-empty list of conditions'],
    [{ $or: { name: 'x' } }, '/$or', '`$or` takes a non-empty list of conditions, not an object'],
    [{ $or: [{ name: 'x' }, 5] }, '/$or/1', 'A condition is a JSON object'],
    [
      { $or: [{ name: 'x' }, { 'attributes.score': { $lte: 'x', $in: 3 } }] },
      '/$or/1/attributes.score/$in',
      '`$in`',
    ],
    [{ $not: [] }, '/$not', 'A condition is a JSON object'],
    [
      { $and: [{ $not: { 'a.b': { $startsWith: null } } }] },
      '/$and/0/$not/a.b/$startsWith',
      '`$startsWith` takes a string',
    ],
    [{ '': 1 }, '/', 'A path cannot be empty'],
    [{ 'attributes..score': 1 }, '/attributes..score', 'empty segment'],
    [{ 'attributes.score.': 1 }, '/attributes.score.', 'empty segment'],
    [{ 'a/b~c': { $in: 1 } }, '/a~1b~0c/$in', '`$in` takes a list'],
    [
      { [`${'a.'.repeat(20)}a`]: 1 },
      `/${'a.'.repeat(20)}a`,
      `at most ${FILTER_LIMITS.maxPathSegments} segments`,
    ],
    [{ ['a'.repeat(300)]: 1 }, `/${'a'.repeat(300)}`, `at most ${FILTER_LIMITS.maxPathLength} characters`],
    [{ name: 'x'.repeat(1025) }, '/name', `at most ${FILTER_LIMITS.maxStringLength} characters`],
    [{ name: { $contains: 'x'.repeat(1025) } }, '/name/$contains', '`$contains` takes strings of at most'],
    [
      { name: { $in: Array.from({ length: 101 }, (_, i) => `n${i}`) } },
      '/name/$in',
      '`$in` takes at most 100 values',
    ],
    [
      { $or: Array.from({ length: 101 }, () => ({ name: 'x' })) },
      '/$or',
      '`$or` takes at most 100 conditions',
    ],
  ];

  for (const [filter, pointer, fragment] of refusals) {
    it(`${JSON.stringify(filter)?.slice(0, 80)} → ${pointer.slice(0, 60)}`, () =>
      refusedWith(filter, pointer, fragment));
  }

  it('reports every problem, not just the first', () => {
    const found = problems({ 'attributes.score': { $lte: true }, name: { $in: 'x' }, $gt: 1 });
    assert.deepEqual(
      found.map((problem) => problem.path),
      ['/attributes.score/$lte', '/name/$in', '/$gt'],
    );
  });

  it('never throws, whatever the value', () => {
    const values: unknown[] = [
      undefined,
      0,
      Number.NaN,
      true,
      () => 1,
      Symbol('x'),
      { a: undefined },
      { a: { $eq: undefined } },
      { a: { $eq: Number.POSITIVE_INFINITY } },
      { a: { $in: [() => 1] } },
      { a: { $eq: new Date(0) } },
      Object.create(null),
    ];
    for (const value of values) assert.doesNotThrow(() => parseFilter(value));
    assert.equal(
      parseFilter(Object.create(null)).ok,
      true,
      'an object without a prototype is still an object',
    );
  });
});

describe('payload filters: bounds', () => {
  function nestedNot(levels: number): Record<string, unknown> {
    let filter: Record<string, unknown> = { name: 'appcues:nps_score' };
    for (let i = 0; i < levels; i++) filter = { $not: filter };
    return filter;
  }

  it(`allows ${FILTER_LIMITS.maxDepth} levels of $and/$or/$not and refuses one more, naming where`, () => {
    const deepest = parsed(nestedNot(FILTER_LIMITS.maxDepth));
    assert.equal(matches(deepest, NPS_SCORE), true, 'eight $not around a match is a match');
    const tooDeep = '/$not'.repeat(FILTER_LIMITS.maxDepth + 1);
    refusedWith(nestedNot(FILTER_LIMITS.maxDepth + 1), tooDeep, 'nested more than 8 levels');

    let mixed: Record<string, unknown> = { name: 'x' };
    for (let i = 0; i < FILTER_LIMITS.maxDepth + 1; i++)
      mixed = i % 2 === 0 ? { $and: [mixed] } : { $or: [mixed] };
    assert.equal(parseFilter(mixed).ok, false);
  });

  it('a very deep filter is refused without exhausting the stack', () => {
    let filter: unknown = { name: 'x' };
    for (let i = 0; i < 100_000; i++) filter = { $not: filter };
    const found = problems(filter);
    assert.equal(found.length, 1);
    assert.match(found[0]!.message, /nested more than 8 levels/);

    let operand: unknown = 1;
    for (let i = 0; i < 100_000; i++) operand = [operand];
    refusedWith({ name: { $eq: operand } }, '/name/$eq', `more than ${FILTER_LIMITS.maxNodes} nodes`);
  });

  it(`counts operators, paths and operand values against ${FILTER_LIMITS.maxNodes} nodes`, () => {
    const within = Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`attributes.k${i}`, i]));
    assert.equal(parseFilter(within).ok, true, '128 paths with 128 values are 256 nodes');
    const beyond = { ...within, 'attributes.one_more': 1 };
    const found = problems(beyond);
    assert.equal(found.length, 1, 'one problem, then parsing stops');
    assert.equal(found[0]!.path, '/attributes.one_more');
    assert.match(found[0]!.message, /more than 256 nodes/);

    const wideLists = {
      $or: Array.from({ length: 3 }, (_, i) => ({
        [`k${i}`]: { $in: Array.from({ length: 100 }, (_, j) => j) },
      })),
    };
    refusedWith(wideLists, '/$or/2/k2/$in', 'more than 256 nodes');
  });

  it('matching a large valid filter against a large event stays fast', () => {
    const filter = parsed({
      $or: Array.from({ length: 40 }, (_, i) => ({
        [`attributes.k${i}`]: { $in: Array.from({ length: 3 }, (_, j) => `v${j}`) },
      })),
    });
    const event = {
      attributes: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, `x${i}`])),
    };
    const started = performance.now();
    for (let i = 0; i < 1000; i++) matches(filter, event);
    assert.ok(performance.now() - started < 2000, 'a thousand matches well under two seconds');
  });
});
