/**
 * Validation of an incoming event as the sender gave it, before the server fills anything in:
 * the envelope every event needs, then, for catalog types, the type's schema.
 *
 * @module
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { contentIdOf, EVENT_ENVELOPE_SCHEMA, type EventType, recognise } from './catalog.ts';
import { jsonPointer } from './json.ts';

/** One reason an event is refused. */
export interface EventProblem {
  /** JSON pointer into the event, e.g. `/attributes/flowId`; `''` is the event itself. */
  readonly path: string;
  readonly message: string;
}

/** The outcome of checking one event. */
export type EventCheck =
  | { readonly ok: true; readonly type: EventType | undefined; readonly contentId: string | null }
  | { readonly ok: false; readonly problems: EventProblem[] };

/** Checks incoming events; holds compiled validators, so create one and reuse it. */
export interface EventChecker {
  /**
   * Checks one event. On success, says which catalog type it is (`undefined` for a custom
   * event) and its content id. Never throws, whatever `value` is.
   */
  check(value: unknown): EventCheck;
}

/**
 * Creates an event checker. The envelope validator is compiled at once, each type's validator
 * at its first use.
 *
 * @example
 * const checker = createEventChecker();
 * const result = checker.check({ name: 'appcues:flow_completed', user_id: 'u1', attributes: {} });
 * // { ok: false, problems: [{ path: '/attributes/flowId', message: "must have required property 'flowId'" }] }
 */
export function createEventChecker(): EventChecker {
  const ajv = new Ajv({ allErrors: false, strict: false });
  const envelope = ajv.compile(EVENT_ENVELOPE_SCHEMA);
  const byType = new Map<string, ValidateFunction>();

  function validatorOf(type: EventType): ValidateFunction {
    let validate = byType.get(type.id);
    if (validate === undefined) {
      validate = ajv.compile(type.schema);
      byType.set(type.id, validate);
    }
    return validate;
  }

  return {
    check(value) {
      if (!envelope(value)) return { ok: false, problems: problemsOf(envelope.errors) };
      // The envelope schema guarantees a string name.
      const event = value as { name: string; attributes?: unknown };
      const type = recognise(event);
      if (type === undefined) return { ok: true, type, contentId: null };
      const validate = validatorOf(type);
      if (!validate(value)) return { ok: false, problems: problemsOf(validate.errors) };
      return { ok: true, type, contentId: contentIdOf(type, event) };
    },
  };
}

/**
 * Turns ajv's errors into problems. With `allErrors: false` ajv stops at the first failing
 * keyword, so there is one error, except for a failed `anyOf`, which follows its branches' errors.
 */
function problemsOf(errors: ErrorObject[] | null | undefined): EventProblem[] {
  const last = errors?.at(-1);
  if (errors === null || errors === undefined || last === undefined) {
    return [{ path: '', message: 'is invalid' }];
  }
  if (last.keyword !== 'anyOf') return [problemOf(last)];
  const branches = errors.slice(0, -1);
  const missing = branches.flatMap((error) =>
    error.keyword === 'required' ? [missingPropertyOf(error)] : [],
  );
  if (missing.length > 0 && missing.length === branches.length) {
    // The catalog's anyOf only ever says "one of these ids": one problem, at the object.
    return [
      {
        path: last.instancePath,
        message: `must have required property ${missing.map((name) => `'${name}'`).join(' or ')}`,
      },
    ];
  }
  return branches.length > 0 ? branches.map(problemOf) : [problemOf(last)];
}

function problemOf(error: ErrorObject): EventProblem {
  const message = error.message ?? 'is invalid';
  if (error.keyword === 'required') {
    // Point at the missing property itself, not at the object that lacks it.
    return { path: `${error.instancePath}${jsonPointer([missingPropertyOf(error)])}`, message };
  }
  return { path: error.instancePath, message };
}

function missingPropertyOf(error: ErrorObject): string {
  const missing = (error.params as { missingProperty?: unknown }).missingProperty;
  return typeof missing === 'string' ? missing : '';
}
