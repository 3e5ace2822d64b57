import { HooklaneError } from './errors.ts';
import { SecretBox } from './secrets.ts';

/**
 * A webhook's static headers: the headers sent with each of its attempts (often a receiver's
 * credentials, such as `authorization`). This file decides which a webhook may set, and how
 * their values are kept: sealed like webhook secrets.
 */

/** The headers Hooklane sets on every attempt itself (see `core/signatures.ts` and the engine). */
export const SET_BY_HOOKLANE: readonly string[] = [
  'content-type',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'x-apc-timestamp',
  'x-apc-signature',
];

/**
 * The headers a webhook may not set, each with why: Hooklane's own (a static one would
 * replace or shadow it), and those the HTTP client owns or cannot send (`expect` makes every
 * attempt fail in undici; hop-by-hop ones belong to one connection, not to the request).
 * The `webhook-` and `x-apc-` prefixes stay Hooklane's for headers it may add later.
 */
const REFUSED: readonly { readonly test: (name: string) => boolean; readonly why: string }[] = [
  {
    test: (name) => SET_BY_HOOKLANE.includes(name) || /^(webhook-|x-apc-)/.test(name),
    why: 'Hooklane sets it (or may set it) on every delivery itself',
  },
  {
    test: (name) =>
      [
        'connection',
        'keep-alive',
        'proxy-connection',
        'te',
        'trailer',
        'transfer-encoding',
        'upgrade',
      ].includes(name),
    why: 'it is a hop-by-hop header, which belongs to the connection',
  },
  {
    test: (name) => ['host', 'content-length', 'expect'].includes(name),
    why: 'the HTTP client sets it (or cannot send it) itself',
  },
];

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
/** A field value Node and undici send as given: no CR, LF, NUL or other control character. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]{0,4096}$/;

const refuse = (message: string) => new HooklaneError('validation_failed', message, { field: 'headers' });

/**
 * Checks a webhook's static headers and returns them with lower-case names; throws a 400
 * naming the first header that cannot be sent.
 */
export function checkStaticHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) {
      throw refuse(
        `The header name ${JSON.stringify(name)} is not allowed: a name is 1 to 100 letters, digits and !#$%&'*+-.^_\`|~.`,
      );
    }
    const lower = name.toLowerCase();
    const refused = REFUSED.find((rule) => rule.test(lower));
    if (refused) throw refuse(`The header "${name}" cannot be set on a webhook: ${refused.why}.`);
    if (Object.hasOwn(clean, lower)) throw refuse(`The header "${name}" is given twice.`);
    if (typeof value !== 'string' || !FIELD_VALUE.test(value)) {
      throw refuse(
        `The value of header "${name}" is not allowed: up to 4096 characters, without CR, LF, NUL or other control characters.`,
      );
    }
    clean[lower] = value;
  }
  return clean;
}

const mapValues = (
  headers: Readonly<Record<string, string>>,
  change: (value: string) => string,
): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, change(value)]));

/** The form static headers are stored in: each value sealed (names stay readable). */
export function sealHeaderValues(
  headers: Readonly<Record<string, string>>,
  box: SecretBox,
): Record<string, string> {
  return mapValues(headers, (value) => box.seal(value));
}

/**
 * Opened headers by the stored object they came from. A claim hands one webhook object to all
 * of its deliveries (SQLite keeps it across claims), so a value is opened (~7 µs) once per
 * batch rather than once per attempt.
 */
const opened = new WeakMap<object, { box: SecretBox; headers: Readonly<Record<string, string>> }>();

/**
 * The values in clear, to send or to show an admin. A value not in the sealed form was
 * stored before values were sealed and is its own plaintext (`resealHeaderValues` seals it
 * at the next start).
 */
export function openHeaderValues(
  stored: Readonly<Record<string, string>>,
  box: SecretBox,
): Readonly<Record<string, string>> {
  const known = opened.get(stored);
  if (known?.box === box) return known.headers;
  const headers = Object.freeze(
    mapValues(stored, (value) => (SecretBox.isSealed(value) ? box.open(value) : value)),
  );
  opened.set(stored, { box, headers });
  return headers;
}

/**
 * What a start writes back: every value sealed with the current key (plaintext ones sealed,
 * ones sealed with a previous key sealed again), or null when all already are.
 */
export function resealHeaderValues(
  stored: Readonly<Record<string, string>>,
  box: SecretBox,
): Record<string, string> | null {
  const stale = (value: string) => !SecretBox.isSealed(value) || box.needsReseal(value);
  if (!Object.values(stored).some(stale)) return null;
  return mapValues(stored, (value) =>
    !stale(value) ? value : box.seal(SecretBox.isSealed(value) ? box.open(value) : value),
  );
}
