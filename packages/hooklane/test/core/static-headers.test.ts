import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { HooklaneError } from '../../src/core/errors.ts';
import { headersForRole, MASKED_VALUE, redactRequestHeaders } from '../../src/core/header-masking.ts';
import { SecretBox } from '../../src/core/secrets.ts';
import {
  checkStaticHeaders,
  openHeaderValues,
  resealHeaderValues,
  sealHeaderValues,
} from '../../src/core/static-headers.ts';

describe('checkStaticHeaders', () => {
  test('keeps allowed headers with lower-case names', () => {
    assert.deepEqual(checkStaticHeaders({ Authorization: 'Bearer x', 'X-Team': 'a\tb', 'x-empty': '' }), {
      authorization: 'Bearer x',
      'x-team': 'a\tb',
      'x-empty': '',
    });
  });

  test('refuses what the sender controls or cannot send, naming the header', () => {
    for (const name of [
      'Expect',
      'Upgrade',
      'Connection',
      'Keep-Alive',
      'Proxy-Connection',
      'TE',
      'Trailer',
      'Transfer-Encoding',
      'Host',
      'Content-Length',
      'Content-Type',
      'User-Agent',
      'Webhook-Id',
      'webhook-timestamp',
      'webhook-signature',
      'webhook-anything',
      'X-Apc-Signature',
      'x-apc-timestamp',
    ]) {
      assert.throws(
        () => checkStaticHeaders({ [name]: 'x' }),
        (error: unknown) =>
          error instanceof HooklaneError && error.status === 400 && error.message.includes(`"${name}"`),
        name,
      );
    }
  });

  test('refuses invalid names and values, and a name given twice', () => {
    const cases: Record<string, string>[] = [
      { '': 'x' },
      { 'a b': 'x' },
      { 'a:b': 'x' },
      { 'x-crlf': 'a\r\nb' },
      { 'x-lf': 'a\nb' },
      { 'x-nul': 'a\u0000b' },
      { 'x-del': 'a\u007fb' },
      { 'x-wide': 'a\u2028b' },
      { 'x-long': 'a'.repeat(4097) },
      { 'X-A': '1', 'x-a': '2' },
    ];
    for (const headers of cases) {
      assert.throws(() => checkStaticHeaders(headers), HooklaneError, JSON.stringify(headers));
    }
  });
});

describe('sealed header values', () => {
  const box = new SecretBox(randomBytes(32), [randomBytes(32)]);

  test('seal and open round-trip; names stay readable', () => {
    const sealed = sealHeaderValues({ authorization: 'Bearer x' }, box);
    assert.deepEqual(Object.keys(sealed), ['authorization']);
    assert.ok(SecretBox.isSealed(sealed.authorization as string));
    assert.deepEqual(openHeaderValues(sealed, box), { authorization: 'Bearer x' });
  });

  test('a value stored in clear opens as itself and is sealed by a reseal', () => {
    const legacy = { authorization: 'Bearer legacy', 'x-sealed': box.seal('s') };
    assert.deepEqual(openHeaderValues(legacy, box), { authorization: 'Bearer legacy', 'x-sealed': 's' });
    const resealed = resealHeaderValues(legacy, box);
    assert.ok(resealed);
    assert.ok(SecretBox.isSealed(resealed.authorization as string));
    assert.equal(resealed['x-sealed'], legacy['x-sealed']);
    assert.deepEqual(openHeaderValues(resealed, box), { authorization: 'Bearer legacy', 'x-sealed': 's' });
    assert.equal(resealHeaderValues(resealed, box), null);
  });

  test('a value sealed with a previous key is sealed again with the current one', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const stored = sealHeaderValues({ authorization: 'Bearer x' }, new SecretBox(oldKey));
    const rotating = new SecretBox(newKey, [oldKey]);
    const resealed = resealHeaderValues(stored, rotating);
    assert.ok(resealed);
    assert.equal(rotating.needsReseal(resealed.authorization as string), false);
    assert.equal(resealHeaderValues(resealed, rotating), null);
    // Once the previous key is dropped, the resealed value still opens; the old one would not.
    const rotated = new SecretBox(newKey);
    assert.deepEqual(openHeaderValues(resealed, rotated), { authorization: 'Bearer x' });
    assert.throws(() => openHeaderValues(stored, rotated), /unknown key/);
  });
});

describe('header masking', () => {
  const attempt = {
    authorization: 'Bearer x',
    'content-type': 'application/json',
    'webhook-id': 'dlv_1',
    'webhook-signature': 'v1,abcdefghijklmnopqrstuvwxyz v1,zyxwvutsrqponmlkjihgfedcba',
    'x-apc-signature': '0123456789abcdef0123456789abcdef',
  };

  test('admins and root read values; viewers and ingest keys see names and the mask', () => {
    assert.deepEqual(headersForRole({ authorization: 'Bearer x' }, 'admin'), { authorization: 'Bearer x' });
    assert.deepEqual(headersForRole({ authorization: 'Bearer x' }, 'root'), { authorization: 'Bearer x' });
    for (const role of ['viewer', 'ingest'] as const) {
      assert.deepEqual(headersForRole(attempt, role), { ...attempt, authorization: MASKED_VALUE });
    }
  });

  test('the attempt log masks static values and shortens signatures, for every role', () => {
    assert.deepEqual(redactRequestHeaders(attempt), {
      authorization: MASKED_VALUE,
      'content-type': 'application/json',
      'webhook-id': 'dlv_1',
      'webhook-signature': 'v1,abcdefghi… v1,zyxwvutsr…',
      'x-apc-signature': '0123456789ab…',
    });
  });
});
