/**
 * `@hooklane/receiver` — verify (and, for tests, sign) Hooklane webhook requests.
 *
 * Two header schemes are understood:
 * - Standard Webhooks: `webhook-id`, `webhook-timestamp` (unix seconds) and
 *   `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>` (space-separated entries).
 * - Appcues: `X-Apc-Timestamp` (unix milliseconds) and `X-Apc-Signature: <hex HMAC-SHA256(key, "<timestamp>:<body>")>`.
 *
 * Key bytes: the base64-decoded remainder of a `whsec_` secret, otherwise the secret's UTF-8 bytes.
 * Only Web Crypto, TextEncoder/TextDecoder and atob/btoa are used, so this runs in Node and edge runtimes.
 *
 * @module
 */

/** Which check refused the request. */
export type VerificationErrorCode =
  | 'missing_header'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'invalid_signature'
  | 'invalid_secret';

/** Thrown by {@link verify} (and by {@link sign} for an unusable secret). `header` names the header at fault, when one is. */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
  readonly code: VerificationErrorCode;
  readonly header: string | undefined;
  constructor(code: VerificationErrorCode, message: string, header?: string) {
    super(message);
    this.code = code;
    this.header = header;
  }
}

export type Scheme = 'standard' | 'appcues';
/** A Fetch `Headers` (or anything with `get`), or a Node-style record looked up case-insensitively. */
export type HeadersInput =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;
/** The exact bytes received. Strings are encoded as UTF-8. */
export type RawBody = string | Uint8Array | ArrayBuffer;

export interface VerifyOptions {
  /** `'auto'` (default) verifies the Standard Webhooks headers when any is present, else the Appcues ones. */
  scheme?: 'auto' | Scheme;
  /** Accepted clock difference, in either direction. Default 300 (5 minutes). */
  toleranceSeconds?: number;
  /** The current time (a `Date` or unix milliseconds); for tests. Default: `Date.now()`. */
  now?: Date | number;
}

export interface VerifiedWebhook {
  scheme: Scheme;
  /** The `webhook-id` (Standard Webhooks only): stable across retries, use it to de-duplicate. */
  id?: string;
  timestamp: Date;
  /** `JSON.parse` of the body, or the body as a string when it is not JSON. */
  payload: unknown;
}

export interface SignInput {
  scheme: Scheme;
  body: RawBody;
  /** One signature is produced per secret (several = a rotation's grace period). */
  secret: string | string[];
  /** `webhook-id` (Standard Webhooks); default `msg_<random uuid>`. */
  id?: string;
  /** Default: now. */
  timestamp?: Date | number;
}

const encoder = new TextEncoder();
const HEADERS = {
  standard: { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' },
  appcues: { timestamp: 'x-apc-timestamp', signature: 'x-apc-signature' },
} as const;

/**
 * Verifies a webhook request and returns its parsed payload, or throws a {@link WebhookVerificationError}.
 *
 * Checks, in order: headers present, timestamp well-formed, timestamp within `toleranceSeconds` of now,
 * then at least one signature in the header matches at least one secret (HMAC compared in constant time).
 *
 * @param rawBody - The body exactly as received (do not re-serialise parsed JSON).
 * @param headers - The request headers.
 * @param secret - The webhook secret, or several during a rotation (any one may match).
 * @example
 * ```ts
 * import { verify, WebhookVerificationError } from '@hooklane/receiver';
 *
 * try {
 *   const body = await request.arrayBuffer();
 *   const event = await verify(body, request.headers, process.env.HOOKLANE_WEBHOOK_SECRET!);
 *   console.log(event.id, event.payload);
 * } catch (err) {
 *   if (err instanceof WebhookVerificationError) console.warn(err.code, err.header);
 * }
 * ```
 */
export async function verify(
  rawBody: RawBody,
  headers: HeadersInput,
  secret: string | string[],
  options: VerifyOptions = {},
): Promise<VerifiedWebhook> {
  const keys = await importKeys(secret);
  const now = options.now === undefined ? Date.now() : Number(options.now);
  const toleranceMs = (options.toleranceSeconds ?? 300) * 1000;
  if (!Number.isFinite(now) || !(toleranceMs >= 0)) throw new TypeError('invalid now or toleranceSeconds');
  const get = (name: string) => header(headers, name);

  // 1. Pick the scheme and read its headers.
  let scheme = options.scheme ?? 'auto';
  if (scheme === 'auto') {
    if (Object.values(HEADERS.standard).some(get)) scheme = 'standard';
    else if (Object.values(HEADERS.appcues).some(get)) scheme = 'appcues';
    else throw new WebhookVerificationError('missing_header', 'no webhook-* or X-Apc-* signature headers');
  }
  const names = HEADERS[scheme];
  const required = (name: string) => {
    const value = get(name);
    if (value === undefined) throw new WebhookVerificationError('missing_header', `missing ${name}`, name);
    return value;
  };
  const id = 'id' in names ? required(names.id) : undefined;
  const timestampText = required(names.timestamp);
  const signatures = required(names.signature);

  // 2. The timestamp: an integer (seconds or milliseconds) within the tolerance.
  const fail = (code: VerificationErrorCode, message: string, name: string): never => {
    throw new WebhookVerificationError(code, `${name} ${message}`, name);
  };
  if (!/^\d{1,15}$/.test(timestampText)) fail('invalid_timestamp', 'is not an integer', names.timestamp);
  const timestampMs = Number(timestampText) * (scheme === 'standard' ? 1000 : 1);
  if (now - timestampMs > toleranceMs) fail('timestamp_too_old', 'is too old', names.timestamp);
  if (timestampMs - now > toleranceMs) fail('timestamp_too_new', 'is too far in the future', names.timestamp);

  // 3. Any well-formed signature entry matching any key. HMAC verify compares in constant time.
  const body = toBytes(rawBody);
  const signed = concat(
    encoder.encode(id === undefined ? `${timestampText}:` : `${id}.${timestampText}.`),
    body,
  );
  const candidates = signatures
    .split(/\s+/)
    .map((entry) => parseSignature(scheme, entry.replace(/,$/, '')))
    .filter((sig) => sig !== undefined);
  for (const sig of candidates) {
    for (const key of keys) {
      if (await crypto.subtle.verify('HMAC', key, sig, signed)) {
        const text = new TextDecoder().decode(body);
        let payload: unknown = text;
        try {
          payload = JSON.parse(text);
        } catch {}
        return { scheme, ...(id === undefined ? {} : { id }), timestamp: new Date(timestampMs), payload };
      }
    }
  }
  return candidates.length === 0
    ? fail('invalid_signature', 'has no well-formed signature entry', names.signature)
    : fail('invalid_signature', 'has no signature matching the secret', names.signature);
}

/**
 * Produces the signature headers Hooklane would send for `body` (lower-case names), for testing receivers.
 *
 * @example
 * ```ts
 * import { sign } from '@hooklane/receiver';
 *
 * const body = JSON.stringify({ name: 'appcues:flow_completed' });
 * const headers = await sign({ scheme: 'standard', body, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
 * await fetch('http://127.0.0.1:3000/webhooks/hooklane', { method: 'POST', body, headers });
 * ```
 */
export async function sign(input: SignInput): Promise<Record<string, string>> {
  const keys = await importKeys(input.secret);
  const ms = input.timestamp === undefined ? Date.now() : Number(input.timestamp);
  if (!Number.isFinite(ms)) throw new TypeError('invalid timestamp');
  const body = toBytes(input.body);
  const macs = async (prefix: string) =>
    Promise.all(
      keys.map(
        async (key) =>
          new Uint8Array(await crypto.subtle.sign('HMAC', key, concat(encoder.encode(prefix), body))),
      ),
    );
  if (input.scheme === 'standard') {
    const id = input.id ?? `msg_${crypto.randomUUID().replaceAll('-', '')}`;
    const seconds = Math.floor(ms / 1000);
    const sigs = await macs(`${id}.${seconds}.`);
    return {
      'webhook-id': id,
      'webhook-timestamp': String(seconds),
      'webhook-signature': sigs.map((mac) => `v1,${btoa(String.fromCharCode(...mac))}`).join(' '),
    };
  }
  const timestamp = String(Math.floor(ms));
  const sigs = await macs(`${timestamp}:`);
  return {
    'x-apc-timestamp': timestamp,
    'x-apc-signature': sigs
      .map((mac) => Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(''))
      .join(' '),
  };
}

/** An imported HMAC key. Spelled via `crypto` so the source also type-checks with Node's types (no DOM lib). */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** Turns each secret into an HMAC-SHA256 key, refusing empty or malformed ones. */
async function importKeys(secret: string | string[]): Promise<HmacKey[]> {
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new WebhookVerificationError('invalid_secret', 'no secret given');
  }
  return Promise.all(
    secrets.map((s) => {
      if (typeof s !== 'string' || s === '')
        throw new WebhookVerificationError('invalid_secret', 'empty secret');
      let bytes: Uint8Array<ArrayBuffer>;
      if (s.startsWith('whsec_')) {
        const decoded = decodeBase64(s.slice('whsec_'.length));
        if (decoded === undefined || decoded.length === 0) {
          throw new WebhookVerificationError('invalid_secret', 'whsec_ secret is not valid base64');
        }
        bytes = decoded;
      } else {
        bytes = encoder.encode(s);
      }
      return crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, [
        'sign',
        'verify',
      ]);
    }),
  );
}

/** One signature entry as bytes, or undefined when malformed or of another version. */
function parseSignature(scheme: Scheme, entry: string): Uint8Array<ArrayBuffer> | undefined {
  if (scheme === 'standard') return entry.startsWith('v1,') ? decodeBase64(entry.slice(3)) : undefined;
  if (!/^[0-9a-f]{64}$/i.test(entry)) return undefined;
  return Uint8Array.from(entry.match(/../g)!, (pair) => Number.parseInt(pair, 16));
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** A header's value (several values joined by a space), or undefined when absent or blank. */
function header(headers: HeadersInput, name: string): string | undefined {
  let value: string | string[] | null | undefined;
  if (typeof headers.get === 'function') {
    value = (headers as { get(name: string): string | null }).get(name);
  } else {
    const record = headers as Record<string, string | string[] | undefined>;
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : record[key];
  }
  const text = (Array.isArray(value) ? value.join(' ') : (value ?? '')).trim();
  return text === '' ? undefined : text;
}

function toBytes(body: RawBody): Uint8Array {
  if (typeof body === 'string') return encoder.encode(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  // toString rather than instanceof: an ArrayBuffer may come from another realm.
  if (Object.prototype.toString.call(body) === '[object ArrayBuffer]') return new Uint8Array(body);
  throw new TypeError('rawBody must be the raw body (string, Uint8Array or ArrayBuffer), not parsed JSON');
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
