import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { sign, verify, WebhookVerificationError } from '../src/index.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const PLAIN = 'clé secrète';
const body = JSON.stringify({
  name: 'appcues:flow_completed',
  attributes: { flowId: 'f1', note: 'ünïcode ✓' },
});
const at = new Date('2026-01-01T12:00:00Z');

const code = (c: string, header?: string) => (err: unknown) => {
  assert.ok(err instanceof WebhookVerificationError);
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'WebhookVerificationError');
  assert.equal(err.code, c);
  if (header) assert.equal(err.header, header);
  return true;
};

describe('sign', () => {
  test('standard headers verify, with id and timestamp kept', async () => {
    const headers = await sign({ scheme: 'standard', body, secret: SECRET, id: 'msg_1', timestamp: at });
    assert.deepEqual(Object.keys(headers), ['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    assert.equal(headers['webhook-timestamp'], String(at.getTime() / 1000));
    const result = await verify(body, headers, SECRET, { now: at });
    assert.deepEqual(result, { scheme: 'standard', id: 'msg_1', timestamp: at, payload: JSON.parse(body) });
  });

  test('appcues headers verify, timestamp in milliseconds', async () => {
    const headers = await sign({ scheme: 'appcues', body, secret: PLAIN, timestamp: at.getTime() + 123 });
    assert.deepEqual(headers['x-apc-timestamp'], String(at.getTime() + 123));
    const expected = createHmac('sha256', PLAIN)
      .update(`${at.getTime() + 123}:${body}`)
      .digest('hex');
    assert.equal(headers['x-apc-signature'], expected);
    const result = await verify(body, headers, PLAIN, { now: at });
    assert.deepEqual(result, {
      scheme: 'appcues',
      timestamp: new Date(at.getTime() + 123),
      payload: JSON.parse(body),
    });
  });

  test('several secrets give one signature each; each secret alone verifies', async () => {
    const secrets = [SECRET, PLAIN];
    for (const scheme of ['standard', 'appcues'] as const) {
      const headers = await sign({ scheme, body, secret: secrets, timestamp: at });
      const sigs = headers[scheme === 'standard' ? 'webhook-signature' : 'x-apc-signature']!.split(' ');
      assert.equal(sigs.length, 2);
      for (const secret of secrets)
        assert.equal((await verify(body, headers, secret, { now: at })).scheme, scheme);
      await assert.rejects(verify(body, headers, 'another', { now: at }), code('invalid_signature'));
    }
  });

  test('defaults: a fresh id and the current time', async () => {
    const a = await sign({ scheme: 'standard', body, secret: SECRET });
    const b = await sign({ scheme: 'standard', body, secret: SECRET });
    assert.match(a['webhook-id']!, /^msg_[0-9a-f]{32}$/);
    assert.notEqual(a['webhook-id'], b['webhook-id']);
    assert.ok(Math.abs(Number(a['webhook-timestamp']) - Date.now() / 1000) < 5);
    await verify(body, a, SECRET);
  });

  test('refuses an unusable secret', async () => {
    await assert.rejects(sign({ scheme: 'standard', body, secret: '' }), code('invalid_secret'));
    await assert.rejects(sign({ scheme: 'appcues', body, secret: 'whsec_!!' }), code('invalid_secret'));
  });
});

describe('standardwebhooks interoperability', () => {
  test('headers from sign verify with the standardwebhooks package (whsec_ secret)', async () => {
    const headers = await sign({ scheme: 'standard', body, secret: SECRET });
    assert.deepEqual(new Webhook(SECRET).verify(body, headers), JSON.parse(body));
  });

  test('headers from sign verify with the standardwebhooks package (plain secret = UTF-8 bytes)', async () => {
    const headers = await sign({ scheme: 'standard', body, secret: PLAIN });
    const webhook = new Webhook(new TextEncoder().encode(PLAIN), { format: 'raw' });
    assert.deepEqual(webhook.verify(body, headers), JSON.parse(body));
  });

  test('headers from sign with a rotated pair verify with the standardwebhooks package', async () => {
    const headers = await sign({ scheme: 'standard', body, secret: [PLAIN, SECRET] });
    assert.deepEqual(new Webhook(SECRET).verify(body, headers), JSON.parse(body));
  });

  test('signatures from the standardwebhooks package verify here', async () => {
    const signature = new Webhook(SECRET).sign('msg_x', at, body);
    const headers = {
      'webhook-id': 'msg_x',
      'webhook-timestamp': String(at.getTime() / 1000),
      'webhook-signature': signature,
    };
    assert.equal((await verify(body, headers, SECRET, { now: at })).id, 'msg_x');
  });
});

describe('verify', () => {
  test('accepts string, Uint8Array, Buffer and ArrayBuffer bodies', async () => {
    const headers = await sign({ scheme: 'standard', body, secret: SECRET, timestamp: at });
    const bytes = new TextEncoder().encode(body);
    const offset = new Uint8Array(bytes.length + 4);
    offset.set(bytes, 2);
    for (const raw of [body, bytes, Buffer.from(body), bytes.buffer, offset.subarray(2, 2 + bytes.length)]) {
      assert.deepEqual((await verify(raw, headers, SECRET, { now: at })).payload, JSON.parse(body));
    }
  });

  test('verifies the exact bytes, including non-UTF-8 ones', async () => {
    const raw = new Uint8Array([0xff, 0xfe, 0x41]);
    const headers = await sign({ scheme: 'appcues', body: raw, secret: SECRET, timestamp: at });
    const result = await verify(raw, headers, SECRET, { now: at });
    assert.equal(result.payload, '\ufffd\ufffdA');
    await assert.rejects(
      verify(new TextDecoder().decode(raw), headers, SECRET, { now: at }),
      code('invalid_signature'),
    );
  });

  test('headers: case-insensitive record, string[] values, Headers', async () => {
    const signed = await sign({
      scheme: 'standard',
      body,
      secret: [PLAIN, SECRET],
      id: 'msg_2',
      timestamp: at,
    });
    const [one, two] = signed['webhook-signature']!.split(' ');
    const record = {
      'Webhook-ID': 'msg_2',
      'WEBHOOK-TIMESTAMP': signed['webhook-timestamp'],
      'webhook-signature': [one!, two!],
      other: undefined,
    };
    assert.equal((await verify(body, record, SECRET, { now: at })).id, 'msg_2');
    // Fetch joins repeated headers with ", ".
    const headers = new Headers({ 'webhook-id': 'msg_2', 'webhook-timestamp': signed['webhook-timestamp']! });
    headers.append('webhook-signature', one!);
    headers.append('webhook-signature', two!);
    assert.equal((await verify(body, headers, SECRET, { now: at })).id, 'msg_2');
  });

  test('scheme option: auto prefers standard; each forced scheme reads only its headers', async () => {
    const standard = await sign({ scheme: 'standard', body, secret: SECRET, timestamp: at });
    const appcues = await sign({ scheme: 'appcues', body, secret: SECRET, timestamp: at });
    const both = { ...standard, ...appcues };
    assert.equal((await verify(body, both, SECRET, { now: at })).scheme, 'standard');
    assert.equal((await verify(body, both, SECRET, { now: at, scheme: 'appcues' })).scheme, 'appcues');
    assert.equal((await verify(body, both, SECRET, { now: at, scheme: 'standard' })).scheme, 'standard');
    await assert.rejects(
      verify(body, standard, SECRET, { now: at, scheme: 'appcues' }),
      code('missing_header', 'x-apc-timestamp'),
    );
    await assert.rejects(verify(body, {}, SECRET, { now: at }), code('missing_header'));
  });

  test('toleranceSeconds and now', async () => {
    const headers = await sign({ scheme: 'standard', body, secret: SECRET, timestamp: at });
    const later = at.getTime() + 600_000;
    await assert.rejects(
      verify(body, headers, SECRET, { now: later }),
      code('timestamp_too_old', 'webhook-timestamp'),
    );
    assert.ok(await verify(body, headers, SECRET, { now: later, toleranceSeconds: 600 }));
    await assert.rejects(
      verify(body, headers, SECRET, { now: later, toleranceSeconds: 599 }),
      code('timestamp_too_old'),
    );
    await assert.rejects(
      verify(body, headers, SECRET, { now: at.getTime() - 1000, toleranceSeconds: 0 }),
      code('timestamp_too_new'),
    );
    assert.ok(await verify(body, headers, SECRET, { now: at, toleranceSeconds: 0 }));
    await assert.rejects(verify(body, headers, SECRET, { now: Number.NaN }), TypeError);
    await assert.rejects(verify(body, headers, SECRET, { toleranceSeconds: -1 }), TypeError);
  });

  test('the secret is checked before anything else', async () => {
    await assert.rejects(verify(body, {}, [], {}), code('invalid_secret'));
    await assert.rejects(verify(body, {}, [SECRET, ''], {}), code('invalid_secret'));
  });

  test('payload: parsed JSON, else the string; an empty body is ""', async () => {
    for (const [raw, payload] of [
      ['[1,2]', [1, 2]],
      ['"s"', 's'],
      ['not json', 'not json'],
      ['', ''],
    ] as const) {
      const headers = await sign({ scheme: 'appcues', body: raw, secret: SECRET, timestamp: at });
      assert.deepEqual((await verify(raw, headers, SECRET, { now: at })).payload, payload);
    }
  });

  test('error messages name the header but never the secret or signature', async () => {
    const headers = await sign({ scheme: 'standard', body, secret: SECRET, timestamp: at });
    const err = await verify(`${body} `, headers, SECRET, { now: at }).catch((e: unknown) => e);
    assert.ok(err instanceof WebhookVerificationError);
    assert.match(err.message, /webhook-signature/);
    assert.ok(
      !err.message.includes(SECRET.slice(6)) && !err.message.includes(headers['webhook-signature']!.slice(3)),
    );
  });
});

test('a parsed body is refused with a TypeError, not a signature error', async () => {
  const headers = await sign({ scheme: 'standard', body, secret: SECRET, timestamp: at });
  await assert.rejects(verify(JSON.parse(body), headers, SECRET, { now: at }), TypeError);
  await assert.rejects(sign({ scheme: 'standard', body, secret: SECRET, timestamp: Number.NaN }), TypeError);
});
