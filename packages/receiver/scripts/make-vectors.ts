// Writes test/vectors.json: signature test vectors computed with node:crypto alone (an implementation
// independent of src/), with fixed times so the file is deterministic. Run: node scripts/make-vectors.ts
//
// Each vector: {description, scheme (the `scheme` option given to verify), secret, headers, body,
// now (unix ms), expect: 'ok' | error code, header? (the header an error names)}.
import { createHash, createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';

export interface Vector {
  description: string;
  scheme: 'auto' | 'standard' | 'appcues';
  secret: string | string[];
  headers: Record<string, string>;
  body: string;
  now: number;
  expect: 'ok' | string;
  header?: string;
}

const derived = (label: string) => `whsec_${createHash('sha256').update(label).digest('base64')}`;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'; // the Standard Webhooks documentation's example
const NEW_SECRET = derived('hooklane test vectors: rotated-in secret');
const PLAIN = 'my appcues secret'; // a customer-chosen secret: its UTF-8 bytes are the key
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0); // verifier clock, unix ms
const SENT = NOW - 42_000; // when the request was signed: 42 s earlier
const ID = 'msg_2mWvB9u3wUkNBdwTiDpR3uuUsKZ';
const BODY = JSON.stringify({
  id: '7ed17098-dcb0-4602-a9d7-8e7605577f19',
  name: 'appcues:flow_completed',
  account_id: '94742',
  user_id: 'anon:a24a871a-74f2-450e-b079-95672ac6ba52',
  group_id: null,
  timestamp: 1684439316293,
  ingested_at: 1684439316408,
  attributes: { flowId: 'c32fb928-7a1a-4feb-8993-696aa68fe5fb', flowName: 'Welcome – café ☕' },
  context: { url: 'https://appcues.github.io/flow-testbench/' },
  source: null,
});

const key = (secret: string) =>
  secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
const hmac = (secret: string, data: string) =>
  createHmac('sha256', key(secret)).update(data, 'utf8').digest();

/** Standard Webhooks headers; `sigs` defaults to one v1 entry signed with `secret`. */
function standard(secret: string, opts: { ms?: number; body?: string; id?: string; sigs?: string } = {}) {
  const seconds = String(Math.floor((opts.ms ?? SENT) / 1000));
  const id = opts.id ?? ID;
  const sig = `v1,${hmac(secret, `${id}.${seconds}.${opts.body ?? BODY}`).toString('base64')}`;
  return { 'webhook-id': id, 'webhook-timestamp': seconds, 'webhook-signature': opts.sigs ?? sig };
}

/** Appcues headers (unix ms timestamp, hex signature). */
function appcues(secret: string, opts: { ms?: number; body?: string } = {}) {
  const ms = String(opts.ms ?? SENT);
  return {
    'X-Apc-Timestamp': ms,
    'X-Apc-Signature': hmac(secret, `${ms}:${opts.body ?? BODY}`).toString('hex'),
  };
}

function without<T extends Record<string, string>>(headers: T, name: keyof T): Record<string, string> {
  const copy: Record<string, string> = { ...headers };
  delete copy[name as string];
  return copy;
}

export function makeVectors(): Vector[] {
  const v = (
    description: string,
    headers: Record<string, string>,
    expect: string,
    extra: Partial<Vector> = {},
  ): Vector => ({
    description,
    scheme: 'auto',
    secret: SECRET,
    headers,
    body: BODY,
    now: NOW,
    expect,
    ...extra,
  });
  const std = standard(SECRET);
  const apc = appcues(SECRET);
  const stdSig = std['webhook-signature'];
  const otherStdSig = standard(NEW_SECRET)['webhook-signature'];
  const minutes = (n: number) => n * 60_000;

  return [
    // Accepted.
    v('standard: whsec_ secret', std, 'ok'),
    v('standard: plain string secret (UTF-8 bytes are the key)', standard(PLAIN), 'ok', { secret: PLAIN }),
    v(
      'standard: several signatures, the second matches',
      { ...std, 'webhook-signature': `${otherStdSig} ${stdSig}` },
      'ok',
    ),
    v(
      'standard: v2 entry ignored, v1 entry matches',
      { ...std, 'webhook-signature': `v2,Zm9v ${stdSig}` },
      'ok',
    ),
    v('standard: rotation, the old secret of a candidate list matches', std, 'ok', {
      secret: [NEW_SECRET, SECRET],
    }),
    v(
      'standard: mixed-case header names',
      { 'Webhook-Id': ID, 'Webhook-Timestamp': std['webhook-timestamp'], 'WEBHOOK-SIGNATURE': stdSig },
      'ok',
    ),
    v('standard: timestamp exactly 5 minutes old', standard(SECRET, { ms: NOW - minutes(5) }), 'ok'),
    v('standard: timestamp exactly 5 minutes ahead', standard(SECRET, { ms: NOW + minutes(5) }), 'ok'),
    v('standard: body that is not JSON', standard(SECRET, { body: 'plain text' }), 'ok', {
      body: 'plain text',
    }),
    v('appcues: whsec_ secret', apc, 'ok'),
    v('appcues: plain string secret', appcues(PLAIN), 'ok', { secret: PLAIN }),
    v('appcues: rotation, the new secret of a candidate list matches', appcues(NEW_SECRET), 'ok', {
      secret: [SECRET, NEW_SECRET],
    }),
    v(
      'appcues: several signatures, the second matches',
      { ...apc, 'X-Apc-Signature': `${appcues(NEW_SECRET)['X-Apc-Signature']} ${apc['X-Apc-Signature']}` },
      'ok',
    ),
    v(
      'appcues: upper-case hex signature',
      { ...apc, 'X-Apc-Signature': apc['X-Apc-Signature'].toUpperCase() },
      'ok',
    ),
    v(
      'appcues: lower-case header names',
      { 'x-apc-timestamp': apc['X-Apc-Timestamp'], 'x-apc-signature': apc['X-Apc-Signature'] },
      'ok',
    ),
    v(
      'both header sets: the standard set is verified (appcues set is wrong)',
      { ...std, ...appcues(NEW_SECRET) },
      'ok',
    ),
    v(
      'both header sets, scheme appcues: the appcues set is verified',
      { ...standard(NEW_SECRET), ...apc },
      'ok',
      { scheme: 'appcues' },
    ),

    // Refused.
    v(
      'both header sets: the standard set is verified (standard set is wrong)',
      { ...standard(NEW_SECRET), ...apc },
      'invalid_signature',
      { header: 'webhook-signature' },
    ),
    v('standard: wrong secret', std, 'invalid_signature', {
      secret: NEW_SECRET,
      header: 'webhook-signature',
    }),
    v('standard: the secret without its whsec_ prefix is another key', std, 'invalid_signature', {
      secret: SECRET.slice(6),
      header: 'webhook-signature',
    }),
    v('standard: tampered body', std, 'invalid_signature', {
      body: BODY.replace('flow_completed', 'flow_skipped'),
      header: 'webhook-signature',
    }),
    v('standard: tampered webhook-id', { ...std, 'webhook-id': 'msg_other' }, 'invalid_signature', {
      header: 'webhook-signature',
    }),
    v(
      'standard: timestamp too old (5 min + 1 s)',
      standard(SECRET, { ms: NOW - minutes(5) - 1000 }),
      'timestamp_too_old',
      { header: 'webhook-timestamp' },
    ),
    v(
      'standard: timestamp too new (5 min + 1 s ahead)',
      standard(SECRET, { ms: NOW + minutes(5) + 1000 }),
      'timestamp_too_new',
      { header: 'webhook-timestamp' },
    ),
    v(
      'standard: timestamp in milliseconds instead of seconds',
      { ...std, 'webhook-timestamp': String(SENT) },
      'timestamp_too_new',
      { header: 'webhook-timestamp' },
    ),
    v('standard: missing webhook-id', without(std, 'webhook-id'), 'missing_header', { header: 'webhook-id' }),
    v('standard: missing webhook-timestamp', without(std, 'webhook-timestamp'), 'missing_header', {
      header: 'webhook-timestamp',
    }),
    v('standard: missing webhook-signature', without(std, 'webhook-signature'), 'missing_header', {
      header: 'webhook-signature',
    }),
    v('standard: empty webhook-signature', { ...std, 'webhook-signature': '' }, 'missing_header', {
      header: 'webhook-signature',
    }),
    v(
      'standard: malformed timestamp (letters)',
      { ...std, 'webhook-timestamp': 'yesterday' },
      'invalid_timestamp',
      { header: 'webhook-timestamp' },
    ),
    v(
      'standard: malformed timestamp (decimal)',
      { ...std, 'webhook-timestamp': `${std['webhook-timestamp']}.5` },
      'invalid_timestamp',
      { header: 'webhook-timestamp' },
    ),
    v(
      'standard: malformed timestamp (negative)',
      { ...std, 'webhook-timestamp': '-1' },
      'invalid_timestamp',
      { header: 'webhook-timestamp' },
    ),
    v(
      'standard: signature entry without version',
      { ...std, 'webhook-signature': stdSig.slice(3) },
      'invalid_signature',
      { header: 'webhook-signature' },
    ),
    v(
      'standard: signature entry that is not base64',
      { ...std, 'webhook-signature': 'v1,not*base64!' },
      'invalid_signature',
      { header: 'webhook-signature' },
    ),
    v('standard: signature entry "v1" alone', { ...std, 'webhook-signature': 'v1' }, 'invalid_signature', {
      header: 'webhook-signature',
    }),
    v(
      'standard: wrong version prefix v2, on a valid MAC',
      { ...std, 'webhook-signature': stdSig.replace('v1,', 'v2,') },
      'invalid_signature',
      { header: 'webhook-signature' },
    ),
    v('standard: scheme forced, only appcues headers present', apc, 'missing_header', {
      scheme: 'standard',
      header: 'webhook-id',
    }),
    v('appcues: wrong secret', apc, 'invalid_signature', {
      secret: [NEW_SECRET, PLAIN],
      header: 'x-apc-signature',
    }),
    v('appcues: tampered body', apc, 'invalid_signature', { body: `${BODY} `, header: 'x-apc-signature' }),
    v('appcues: tampered timestamp', { ...apc, 'X-Apc-Timestamp': String(SENT + 1) }, 'invalid_signature', {
      header: 'x-apc-signature',
    }),
    v(
      'appcues: timestamp too old (5 min + 1 ms)',
      appcues(SECRET, { ms: NOW - minutes(5) - 1 }),
      'timestamp_too_old',
      { header: 'x-apc-timestamp' },
    ),
    v(
      'appcues: timestamp too new (5 min + 1 ms ahead)',
      appcues(SECRET, { ms: NOW + minutes(5) + 1 }),
      'timestamp_too_new',
      { header: 'x-apc-timestamp' },
    ),
    v(
      'appcues: timestamp in seconds instead of milliseconds',
      appcues(SECRET, { ms: Math.floor(SENT / 1000) }),
      'timestamp_too_old',
      { header: 'x-apc-timestamp' },
    ),
    v('appcues: missing X-Apc-Timestamp', without(apc, 'X-Apc-Timestamp'), 'missing_header', {
      header: 'x-apc-timestamp',
    }),
    v('appcues: missing X-Apc-Signature', without(apc, 'X-Apc-Signature'), 'missing_header', {
      header: 'x-apc-signature',
    }),
    v(
      'appcues: malformed timestamp',
      { ...apc, 'X-Apc-Timestamp': '2026-01-01T12:00:00Z' },
      'invalid_timestamp',
      { header: 'x-apc-timestamp' },
    ),
    v(
      'appcues: signature that is not hex',
      { ...apc, 'X-Apc-Signature': 'zz'.repeat(32) },
      'invalid_signature',
      { header: 'x-apc-signature' },
    ),
    v(
      'appcues: signature in base64 instead of hex',
      { ...apc, 'X-Apc-Signature': Buffer.from(apc['X-Apc-Signature'], 'hex').toString('base64') },
      'invalid_signature',
      { header: 'x-apc-signature' },
    ),
    v(
      'appcues: truncated signature',
      { ...apc, 'X-Apc-Signature': apc['X-Apc-Signature'].slice(0, 62) },
      'invalid_signature',
      { header: 'x-apc-signature' },
    ),
    v('no signature headers at all', { 'content-type': 'application/json' }, 'missing_header'),
    v('empty secret', std, 'invalid_secret', { secret: '' }),
    v('empty secret list', std, 'invalid_secret', { secret: [] }),
    v('whsec_ secret with nothing after the prefix', std, 'invalid_secret', { secret: 'whsec_' }),
    v('whsec_ secret that is not base64', std, 'invalid_secret', { secret: 'whsec_not base64!' }),
  ];
}

if (import.meta.main) {
  const file = new URL('../test/vectors.json', import.meta.url);
  writeFileSync(file, `${JSON.stringify(makeVectors(), null, 2)}\n`);
  console.log(`wrote ${file.pathname}`);
}
