/**
 * Payload filters (`filters.match` on a webhook): a JSON condition over an event, with the
 * operators Convoy and Hookdeck users already know. A filter is parsed once (when a webhook
 * is created or edited, and when it is loaded) and then matched against each event.
 *
 * The event is the event's JSON as the `appcues` format delivers it: `id`, `name`,
 * `account_id`, `user_id`, `group_id`, `timestamp`, `ingested_at`, `attributes`, `context`,
 * `source` and whatever else the sender gave.
 *
 * ## Grammar
 * - A condition is an object. Each key is either a logical operator (`$and`, `$or`, `$not`)
 *   or a path in dot notation (`name`, `attributes.score`, `context.url`; a numeric segment
 *   indexes an array: `attributes.interaction.response.0.value`). All keys must hold: several
 *   keys in one object mean AND, and `{}` matches every event.
 * - `$and` and `$or` take a non-empty list of conditions; `$not` takes one condition.
 * - A path's value is either an operator object (`{"$gte": 0, "$lte": 6}`, every key an
 *   operator; several operators mean AND) or a plain JSON value, which means `$eq`.
 *
 * ## Operators
 * - `$eq`, `$neq`: deep equality (objects regardless of key order, arrays in order).
 * - `$gt`, `$gte`, `$lt`, `$lte`: a number against numbers, a string against strings
 *   (code-unit order, so ISO 8601 times compare chronologically).
 * - `$in`, `$nin`: the value deep-equals one (none) of a list.
 * - `$exists`: `true` when the path is present (a `null` value is present), `false` when not.
 * - `$startsWith`, `$endsWith`: string prefix and suffix, case-sensitive.
 * - `$contains`: a substring of a string, or an element (deep equality) of an array.
 *
 * A path that is missing matches nothing except `$exists: false`, so `$neq` and `$nin` need
 * the path to be present; for "missing or different", wrap the opposite in `$not`:
 * `{"$not": {"attributes.score": {"$gte": 9}}}`. A value of the wrong type (`$gt` against a string, `$startsWith`
 * against a number) simply does not match; matching never throws.
 *
 * ## Bounds
 * No regular expressions and no code: matching is plain comparisons. A filter has at most
 * {@link FILTER_LIMITS}`.maxNodes` nodes (every operator, path and operand value counts), at
 * most `maxDepth` levels of `$and`/`$or`/`$not`, lists of at most `maxListLength` items and
 * strings of at most `maxStringLength` characters.
 *
 * @example
 * // NPS detractors only
 * const parsed = parseFilter({ name: 'appcues:nps_score', 'attributes.score': { $lte: 6 } });
 * if (parsed.ok) matches(parsed.filter, { name: 'appcues:nps_score', attributes: { score: 3 } }); // true
 *
 * parseFilter({ 'attributes.score': { $lte: true } });
 * // { ok: false, problems: [{ path: '/attributes.score/$lte', message: '`$lte` compares with a number or a string, not a boolean.' }] }
 *
 * @module
 */

import { isPlainObject, jsonPointer } from './json.ts';

/** A JSON value, as `JSON.parse` produces it. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

/** The bounds of a filter, checked by {@link parseFilter}. */
export const FILTER_LIMITS = Object.freeze({
  /** Levels of `$and` / `$or` / `$not` nesting. */
  maxDepth: 8,
  /** Operators, paths and operand values, all counted together. */
  maxNodes: 256,
  /** Items of a `$in` / `$nin` / `$and` / `$or` list. */
  maxListLength: 100,
  /** Characters of a string operand. */
  maxStringLength: 1024,
  /** Characters of a path. */
  maxPathLength: 256,
  /** Segments of a path. */
  maxPathSegments: 16,
});

export const FIELD_OPERATORS = [
  '$eq',
  '$neq',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$exists',
  '$startsWith',
  '$endsWith',
  '$contains',
] as const;
export type FieldOperator = (typeof FIELD_OPERATORS)[number];

export const LOGICAL_OPERATORS = ['$and', '$or', '$not'] as const;

/** A parsed filter: what {@link matches} evaluates. Build it with {@link parseFilter}. */
export type Filter =
  | { readonly kind: 'and'; readonly all: readonly Filter[] }
  | { readonly kind: 'or'; readonly any: readonly Filter[] }
  | { readonly kind: 'not'; readonly filter: Filter }
  | {
      readonly kind: 'field';
      readonly path: readonly string[];
      readonly operator: FieldOperator;
      readonly operand: JsonValue;
    };

/** One reason a filter is refused. */
export interface FilterProblem {
  /** JSON pointer into the filter, e.g. `/attributes.score/$lte` or `/$or/1/name`; `''` is the filter itself. */
  readonly path: string;
  readonly message: string;
}

export type FilterParse =
  | { readonly ok: true; readonly filter: Filter }
  | { readonly ok: false; readonly problems: FilterProblem[] };

/**
 * Validates a filter as a user wrote it (any JSON value) and parses it. Never throws; each
 * problem names the JSON pointer of the bad part, which ends in the operator at fault.
 *
 * @example
 * parseFilter({ $or: [{ 'attributes.score': { $lte: 6 } }, { 'attributes.feedback': { $exists: true } }] });
 * // { ok: true, filter: { kind: 'or', any: [...] } }
 */
export function parseFilter(value: unknown): FilterParse {
  const parser = new FilterParser();
  const filter = parser.condition(value, [], 0);
  if (parser.problems.length > 0 || filter === undefined) return { ok: false, problems: parser.problems };
  return { ok: true, filter };
}

/**
 * Whether an event matches a filter. Pure and total: any event value is accepted and a
 * mismatch of types is simply no match.
 *
 * @example
 * const parsed = parseFilter({ 'context.url': { $startsWith: 'https://app.example.com/' } });
 * if (parsed.ok) matches(parsed.filter, { context: { url: 'https://app.example.com/billing' } }); // true
 */
export function matches(filter: Filter, event: unknown): boolean {
  switch (filter.kind) {
    case 'and':
      return filter.all.every((part) => matches(part, event));
    case 'or':
      return filter.any.some((part) => matches(part, event));
    case 'not':
      return !matches(filter.filter, event);
    case 'field':
      return fieldMatches(filter.operator, filter.operand, lookup(event, filter.path));
  }
}

// ---------------------------------------------------------------------------------------------
// Paths and values, shared with the template renderer.

/** What a path leads to in an event: the value, or `undefined` when the path is missing. */
export type Lookup = { readonly value: unknown } | undefined;

/**
 * Follows a parsed path through an event: object keys by own property only (never the
 * prototype), array items by canonical decimal index.
 */
export function lookup(root: unknown, path: readonly string[]): Lookup {
  let current = root;
  for (const segment of path) {
    if (Array.isArray(current)) {
      const index = arrayIndex(segment);
      if (index === undefined || index >= current.length) return undefined;
      current = current[index];
    } else if (isPlainObject(current) && Object.hasOwn(current, segment)) {
      current = current[segment];
    } else {
      return undefined;
    }
  }
  return current === undefined ? undefined : { value: current };
}

/**
 * Splits a dot-notation path into segments, or says why it cannot be one: empty, an empty
 * segment, or beyond the length bounds.
 */
export function parsePath(text: string): { ok: true; path: string[] } | { ok: false; message: string } {
  if (text.length === 0) return { ok: false, message: 'A path cannot be empty.' };
  if (text.length > FILTER_LIMITS.maxPathLength) {
    return { ok: false, message: `A path has at most ${FILTER_LIMITS.maxPathLength} characters.` };
  }
  const path = text.split('.');
  if (path.length > FILTER_LIMITS.maxPathSegments) {
    return { ok: false, message: `A path has at most ${FILTER_LIMITS.maxPathSegments} segments.` };
  }
  if (path.includes('')) {
    return {
      ok: false,
      message: `\`${text}\` has an empty segment; write segments separated by single dots.`,
    };
  }
  return { ok: true, path };
}

/** Deep equality of JSON values: objects by their own keys regardless of order, arrays in order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    for (const key of keys) if (!Object.hasOwn(b, key) || !jsonEqual(a[key], b[key])) return false;
    return true;
  }
  return false;
}

function arrayIndex(segment: string): number | undefined {
  if (segment.length === 0 || segment.length > 9) return undefined;
  if (segment.length > 1 && segment.charCodeAt(0) === 48) return undefined; // no leading zero
  for (let i = 0; i < segment.length; i++) {
    const code = segment.charCodeAt(i);
    if (code < 48 || code > 57) return undefined;
  }
  return Number(segment);
}

// ---------------------------------------------------------------------------------------------
// Matching.

function fieldMatches(operator: FieldOperator, operand: JsonValue, found: Lookup): boolean {
  if (operator === '$exists') return operand === (found !== undefined);
  if (found === undefined) return false;
  const value = found.value;
  switch (operator) {
    case '$eq':
      return jsonEqual(value, operand);
    case '$neq':
      return !jsonEqual(value, operand);
    case '$gt':
      return compare(value, operand, (order) => order > 0);
    case '$gte':
      return compare(value, operand, (order) => order >= 0);
    case '$lt':
      return compare(value, operand, (order) => order < 0);
    case '$lte':
      return compare(value, operand, (order) => order <= 0);
    case '$in':
      return (operand as readonly JsonValue[]).some((item) => jsonEqual(value, item));
    case '$nin':
      return !(operand as readonly JsonValue[]).some((item) => jsonEqual(value, item));
    case '$startsWith':
      return typeof value === 'string' && value.startsWith(operand as string);
    case '$endsWith':
      return typeof value === 'string' && value.endsWith(operand as string);
    case '$contains':
      if (typeof value === 'string') return typeof operand === 'string' && value.includes(operand);
      if (Array.isArray(value)) return value.some((item) => jsonEqual(item, operand));
      return false;
  }
}

/** Orders a number against a number or a string against a string; anything else does not match. */
function compare(value: unknown, operand: JsonValue, accept: (order: number) => boolean): boolean {
  if (typeof value === 'number' && typeof operand === 'number') {
    return accept(value < operand ? -1 : value > operand ? 1 : 0);
  }
  if (typeof value === 'string' && typeof operand === 'string') {
    return accept(value < operand ? -1 : value > operand ? 1 : 0);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Parsing.

const FIELD_OPERATOR_SET: ReadonlySet<string> = new Set(FIELD_OPERATORS);
const NODES_EXCEEDED = `The filter has more than ${FILTER_LIMITS.maxNodes} nodes (operators, paths and values); simplify it.`;

/** Walks a filter once, collecting problems; stops early once the node budget is spent. */
class FilterParser {
  readonly problems: FilterProblem[] = [];
  #nodes = 0;
  #exhausted = false;

  condition(value: unknown, at: readonly (string | number)[], depth: number): Filter | undefined {
    if (!isPlainObject(value)) {
      this.#problem(at, `A condition is a JSON object of paths and operators, not ${describe(value)}.`);
      return undefined;
    }
    const parts: Filter[] = [];
    for (const key of Object.keys(value)) {
      if (!this.#spend([...at, key])) return undefined;
      const part =
        key === '$and' || key === '$or'
          ? this.#list(key, value[key], [...at, key], depth + 1)
          : key === '$not'
            ? this.#not(value[key], [...at, key], depth + 1)
            : key.startsWith('$')
              ? this.#misplacedOperator(key, at)
              : this.#field(key, value[key], [...at, key]);
      if (part !== undefined) parts.push(part);
    }
    return parts.length === 1 ? parts[0] : { kind: 'and', all: parts };
  }

  #list(operator: '$and' | '$or', value: unknown, at: readonly (string | number)[], depth: number) {
    if (!this.#withinDepth(operator, at, depth)) return undefined;
    if (!Array.isArray(value) || value.length === 0) {
      this.#problem(at, `\`${operator}\` takes a non-empty list of conditions, not ${describe(value)}.`);
      return undefined;
    }
    if (value.length > FILTER_LIMITS.maxListLength) {
      this.#problem(at, `\`${operator}\` takes at most ${FILTER_LIMITS.maxListLength} conditions.`);
      return undefined;
    }
    const parts: Filter[] = [];
    for (let i = 0; i < value.length && !this.#exhausted; i++) {
      const part = this.condition(value[i], [...at, i], depth);
      if (part !== undefined) parts.push(part);
    }
    return operator === '$and'
      ? ({ kind: 'and', all: parts } as const)
      : ({ kind: 'or', any: parts } as const);
  }

  #not(value: unknown, at: readonly (string | number)[], depth: number): Filter | undefined {
    if (!this.#withinDepth('$not', at, depth)) return undefined;
    const inner = this.condition(value, at, depth);
    return inner === undefined ? undefined : { kind: 'not', filter: inner };
  }

  #misplacedOperator(key: string, at: readonly (string | number)[]): undefined {
    if (FIELD_OPERATOR_SET.has(key)) {
      this.#problem(
        [...at, key],
        `\`${key}\` applies to a path: write {"attributes.score": {"${key}": ...}}, not {"${key}": ...}.`,
      );
    } else {
      this.#problem([...at, key], `\`${key}\` is not an operator; the operators are ${operatorList()}.`);
    }
    return undefined;
  }

  #field(key: string, value: unknown, at: readonly (string | number)[]): Filter | undefined {
    const parsed = parsePath(key);
    if (!parsed.ok) {
      this.#problem(at, parsed.message);
      return undefined;
    }
    const path = parsed.path;
    if (!isOperatorObject(value)) {
      return this.#operand('$eq', value, at)
        ? { kind: 'field', path, operator: '$eq', operand: value as JsonValue }
        : undefined;
    }
    const parts: Filter[] = [];
    const keys = Object.keys(value);
    for (const operator of keys) {
      if (!this.#spend(at)) return undefined;
      const operand = value[operator];
      const operatorAt = [...at, operator];
      if (!operator.startsWith('$')) {
        this.#problem(
          operatorAt,
          `\`${key}\` mixes operators with the field \`${operator}\`; to compare a nested field, write its path, e.g. "${key}.${operator}".`,
        );
      } else if (!FIELD_OPERATOR_SET.has(operator)) {
        const hint = operator === '$not' || operator === '$and' || operator === '$or';
        this.#problem(
          operatorAt,
          hint
            ? `\`${operator}\` combines conditions: write {"${operator}": ...} around {"${key}": ...}.`
            : `\`${operator}\` is not an operator; the operators are ${operatorList()}.`,
        );
      } else if (this.#operand(operator as FieldOperator, operand, operatorAt)) {
        parts.push({
          kind: 'field',
          path,
          operator: operator as FieldOperator,
          operand: operand as JsonValue,
        });
      }
    }
    return parts.length === 1 ? parts[0] : { kind: 'and', all: parts };
  }

  /** Checks an operator's operand; true when it is fine. */
  #operand(operator: FieldOperator, operand: unknown, at: readonly (string | number)[]): boolean {
    switch (operator) {
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        if (typeof operand !== 'number' && typeof operand !== 'string') {
          this.#problem(at, `\`${operator}\` compares with a number or a string, not ${describe(operand)}.`);
          return false;
        }
        return this.#value(operand, at, operator);
      case '$in':
      case '$nin':
        if (!Array.isArray(operand)) {
          this.#problem(at, `\`${operator}\` takes a list of values, not ${describe(operand)}.`);
          return false;
        }
        if (operand.length > FILTER_LIMITS.maxListLength) {
          this.#problem(at, `\`${operator}\` takes at most ${FILTER_LIMITS.maxListLength} values.`);
          return false;
        }
        return this.#value(operand, at, operator);
      case '$exists':
        if (typeof operand !== 'boolean') {
          this.#problem(at, `\`$exists\` takes true or false, not ${describe(operand)}.`);
          return false;
        }
        return true;
      case '$startsWith':
      case '$endsWith':
        if (typeof operand !== 'string') {
          this.#problem(at, `\`${operator}\` takes a string, not ${describe(operand)}.`);
          return false;
        }
        return this.#value(operand, at, operator);
      case '$eq':
      case '$neq':
      case '$contains':
        return this.#value(operand, at, operator);
    }
  }

  /** Checks that an operand is plain JSON within the bounds, counting its nodes. */
  #value(value: unknown, at: readonly (string | number)[], operator: FieldOperator): boolean {
    if (!this.#spend(at)) return false;
    if (value === null || typeof value === 'boolean') return true;
    if (typeof value === 'number') {
      if (Number.isFinite(value)) return true;
      this.#problem(at, `\`${operator}\` needs a finite number.`);
      return false;
    }
    if (typeof value === 'string') {
      if (value.length <= FILTER_LIMITS.maxStringLength) return true;
      this.#problem(
        at,
        `\`${operator}\` takes strings of at most ${FILTER_LIMITS.maxStringLength} characters.`,
      );
      return false;
    }
    if (Array.isArray(value)) {
      for (const item of value) if (!this.#value(item, at, operator)) return false;
      return true;
    }
    if (isPlainObject(value)) {
      for (const key of Object.keys(value)) {
        if (key.length > FILTER_LIMITS.maxStringLength) {
          this.#problem(
            at,
            `\`${operator}\` takes keys of at most ${FILTER_LIMITS.maxStringLength} characters.`,
          );
          return false;
        }
        if (!this.#value(value[key], at, operator)) return false;
      }
      return true;
    }
    this.#problem(at, `\`${operator}\` takes a JSON value, not ${describe(value)}.`);
    return false;
  }

  #withinDepth(operator: string, at: readonly (string | number)[], depth: number): boolean {
    if (depth <= FILTER_LIMITS.maxDepth) return true;
    this.#problem(
      at,
      `\`${operator}\` is nested more than ${FILTER_LIMITS.maxDepth} levels of $and/$or/$not deep; flatten the filter.`,
    );
    return false;
  }

  /** Counts one node; false (with one problem) once the budget is spent. */
  #spend(at: readonly (string | number)[]): boolean {
    if (this.#exhausted) return false;
    this.#nodes += 1;
    if (this.#nodes <= FILTER_LIMITS.maxNodes) return true;
    this.#exhausted = true;
    this.#problem(at, NODES_EXCEEDED);
    return false;
  }

  #problem(at: readonly (string | number)[], message: string): void {
    this.problems.push({ path: jsonPointer(at), message });
  }
}

/** An object with any operator key; its other keys are then reported as mixing. */
function isOperatorObject(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && Object.keys(value).some((key) => key.startsWith('$'));
}

function operatorList(): string {
  return [...FIELD_OPERATORS, ...LOGICAL_OPERATORS].join(' ');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return typeof value === 'undefined' ? 'nothing' : `a ${typeof value}`;
}
