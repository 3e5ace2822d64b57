import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { makeVectors, type Vector } from '../scripts/make-vectors.ts';
import { verify, WebhookVerificationError } from '../src/index.ts';

const vectors: Vector[] = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8'));

test('vectors.json is what scripts/make-vectors.ts writes', () => {
  assert.deepEqual(vectors, makeVectors());
});

test('vectors cover each outcome', () => {
  const outcomes = new Set(vectors.map((v) => v.expect));
  for (const code of [
    'ok',
    'missing_header',
    'invalid_timestamp',
    'timestamp_too_old',
    'timestamp_too_new',
    'invalid_signature',
    'invalid_secret',
  ]) {
    assert.ok(outcomes.has(code), code);
  }
});

// Each vector runs with the headers as a Node record and as a Fetch Headers, the body as a string and as bytes.
const forms = [
  { name: 'record + string', headers: (v: Vector) => v.headers, body: (v: Vector) => v.body },
  {
    name: 'Headers + bytes',
    headers: (v: Vector) => new Headers(v.headers),
    body: (v: Vector) => new TextEncoder().encode(v.body),
  },
];

for (const form of forms) {
  describe(`vectors (${form.name})`, () => {
    for (const v of vectors) {
      test(`${v.description} → ${v.expect}`, async () => {
        const run = () => verify(form.body(v), form.headers(v), v.secret, { scheme: v.scheme, now: v.now });
        if (v.expect === 'ok') {
          const result = await run();
          const expected =
            v.scheme !== 'auto'
              ? v.scheme
              : 'webhook-signature' in v.headers || 'Webhook-Id' in v.headers
                ? 'standard'
                : 'appcues';
          assert.equal(result.scheme, expected);
          assert.equal(
            result.id,
            expected === 'standard' ? (v.headers['webhook-id'] ?? v.headers['Webhook-Id']) : undefined,
          );
          let payload: unknown = v.body;
          try {
            payload = JSON.parse(v.body);
          } catch {}
          assert.deepEqual(result.payload, payload);
          assert.ok(Math.abs(result.timestamp.getTime() - v.now) <= 300_000);
        } else {
          await assert.rejects(run, (err) => {
            assert.ok(err instanceof WebhookVerificationError);
            assert.equal(err.code, v.expect);
            assert.equal(err.header, v.header);
            return true;
          });
        }
      });
    }
  });
}
