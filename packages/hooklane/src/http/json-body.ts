import type { FastifyInstance } from 'fastify';
import { parse as secureJsonParse } from 'secure-json-parse';
import { HooklaneError } from '../core/errors.ts';
import { jsonPointer } from '../core/json.ts';

/**
 * The deepest a request body may nest: objects and arrays inside one another, the body itself
 * being level 1. Events nest a handful of levels; anything deep enough to matter is an attack
 * on whatever serialises or validates it recursively later.
 */
export const MAX_JSON_DEPTH = 64;

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why a text cannot be accepted, or undefined. U+0000 cannot be stored in PostgreSQL text, and
 * an unpaired surrogate (valid as a JSON escape such as `\ud800`, but not Unicode) would be
 * rewritten to U+FFFD when encoded: either way Hooklane could not deliver what it was given,
 * so both are refused everywhere, on every store alike.
 */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain U+0000 (NUL)';
  if (UNPAIRED_SURROGATE.test(text)) return 'must not contain an unpaired UTF-16 surrogate (such as \\ud800)';
  return undefined;
}

/** One refused place of a body: a JSON pointer (`''` is the body itself) and why. */
export interface BodyProblem {
  readonly path: string;
  readonly message: string;
}

interface Frame {
  readonly value: object;
  readonly parent: Frame | undefined;
  readonly key: string | number;
}

function pointerOf(frame: Frame | undefined, key?: string | number): string {
  const tokens: (string | number)[] = key === undefined ? [] : [key];
  for (let at = frame; at?.parent !== undefined; at = at.parent) tokens.push(at.key);
  return jsonPointer(tokens.reverse());
}

/**
 * The first thing in a parsed body that Hooklane refuses: a string or key that `textProblem`
 * refuses, or a number too large to be a double (JSON.parse reads `1e400` as Infinity, which
 * would be stored as `null`). Iterative, so no depth of nesting can exhaust the stack.
 * `checkText` false skips the text rule, for bodies whose JSON text has no `\u` escape and so
 * cannot hold what it refuses.
 */
export function bodyProblem(root: unknown, checkText = true): BodyProblem | undefined {
  const atRoot = leafProblem(root, checkText);
  if (atRoot !== undefined) return { path: '', message: atRoot };
  if (root === null || typeof root !== 'object') return undefined;
  // Breadth first, so the problem reported is the shallowest, and the first in the text among
  // equally deep ones. Only objects and arrays are queued; the rest is checked where it is met.
  const queue: Frame[] = [{ value: root, parent: undefined, key: '' }];
  for (let next = 0; next < queue.length; next++) {
    const frame = queue[next] as Frame;
    const value = frame.value as Record<string, unknown>;
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        const item: unknown = value[index];
        if (item !== null && typeof item === 'object') {
          queue.push({ value: item, parent: frame, key: index });
          continue;
        }
        const problem = leafProblem(item, checkText);
        if (problem !== undefined) return { path: pointerOf(frame, index), message: problem };
      }
      continue;
    }
    for (const key in value) {
      const keyProblem = checkText ? textProblem(key) : undefined;
      if (keyProblem !== undefined) {
        return { path: pointerOf(frame, key), message: `its key ${keyProblem}` };
      }
      const item = value[key];
      if (item !== null && typeof item === 'object') {
        queue.push({ value: item, parent: frame, key });
        continue;
      }
      const problem = leafProblem(item, checkText);
      if (problem !== undefined) return { path: pointerOf(frame, key), message: problem };
    }
  }
  return undefined;
}

function leafProblem(value: unknown, checkText: boolean): string | undefined {
  if (typeof value === 'string') return checkText ? textProblem(value) : undefined;
  if (typeof value === 'number' && !Number.isFinite(value)) return 'is too large a number';
  return undefined;
}

/** The index of the quote that closes the string opened at `start`, or the text's length. */
function endOfString(text: string, start: number): number {
  for (let at = text.indexOf('"', start + 1); at !== -1; at = text.indexOf('"', at + 1)) {
    let backslashes = 0;
    for (let before = at - 1; text.charCodeAt(before) === 0x5c; before--) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
  return text.length;
}

/**
 * Whether JSON text opens more than `limit` objects and arrays inside one another, read before
 * parsing: JSON.parse spends hundreds of milliseconds on a megabyte of `[`; the scan stops at
 * the first level too many. Brackets inside strings do not count; on text that is not JSON the
 * answer does not matter, as parsing refuses it.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === 0x22) at = endOfString(text, at);
    else if (code === 0x5b || code === 0x7b) {
      depth++;
      if (depth > limit) return true;
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
  return false;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a JSON request body, or throws the HooklaneError that answers it: `invalid_json` for
 * bytes that are not UTF-8 (never silently replaced by U+FFFD) and for text that is not JSON or
 * that would poison prototypes (`__proto__`, `constructor.prototype`, refused as Fastify's
 * default parser does); `validation_failed` for nesting deeper than MAX_JSON_DEPTH, checked
 * before anything else reads the body, and, naming the place, for what `bodyProblem` refuses.
 */
export function parseJsonBody(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new HooklaneError('invalid_json', 'The request body is not valid UTF-8.');
  }
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    const message = `nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`;
    throw new HooklaneError('validation_failed', `The request body ${message}.`, [{ path: 'body', message }]);
  }
  let value: unknown;
  try {
    value = secureJsonParse(text, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    throw new HooklaneError(
      'invalid_json',
      `The request body is not valid JSON: ${(error as Error).message}`,
    );
  }
  // NUL and surrogates can only be written as \u escapes: JSON text holds no raw control
  // characters, and strict decoding refused encoded surrogates.
  const problem = bodyProblem(value, text.includes('\\u'));
  if (problem !== undefined) {
    const path = `body${problem.path}`;
    throw new HooklaneError('validation_failed', `Invalid body: ${path} ${problem.message}.`, [
      { path, message: problem.message },
    ]);
  }
  return value;
}

/**
 * Replaces Fastify's JSON parser with `parseJsonBody`, for every route. A route without a body
 * schema takes no body: for it an empty one is no body at all (the hook in app.ts refuses any
 * other); a route with one still refuses an empty body as not JSON.
 */
export function installJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (bytes.length === 0) {
      if (request.routeOptions.schema?.body === undefined) return done(null, undefined);
      return done(new HooklaneError('invalid_json', 'The request body is empty: send JSON.'), undefined);
    }
    try {
      done(null, parseJsonBody(bytes));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
