import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { startTestServer, type TestServer } from '../helpers/hooklane.ts';
import { type Received, startReceiver } from '../helpers/receiver.ts';
import { loadSeeds } from '../helpers/seeds.ts';

// End to end: the seed payloads (fixtures/appcues-examples.json) go through the API and come
// out at a real receiver unchanged, signed with both schemes. The
// signatures are checked with implementations independent of Hooklane's own.

/** The key bytes of a secret, as docs/delivery.md states them (computed here, not with the server's code). */
function keyOf(secret: string): Buffer {
  return secret.startsWith('whsec_')
    ? Buffer.from(secret.slice('whsec_'.length), 'base64')
    : Buffer.from(secret, 'utf8');
}

function header(request: Received, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The Standard Webhooks headers of a request, as the `standardwebhooks` package wants them. */
function standardHeaders(headers: IncomingHttpHeaders, signature?: string): Record<string, string> {
  return {
    'webhook-id': String(headers['webhook-id']),
    'webhook-timestamp': String(headers['webhook-timestamp']),
    'webhook-signature': signature ?? String(headers['webhook-signature']),
  };
}

/** Verifies the Standard Webhooks headers with the `standardwebhooks` npm package. */
function verifyStandard(request: Received, secret: string, signature?: string): void {
  const verifier = secret.startsWith('whsec_')
    ? new Webhook(secret)
    : new Webhook(new Uint8Array(Buffer.from(secret, 'utf8')), { format: 'raw' });
  assert.doesNotThrow(
    () => verifier.verify(request.body, standardHeaders(request.headers, signature)),
    `the standard signature verifies with ${secret.slice(0, 10)}…`,
  );
}

/** Verifies the Appcues headers: `x-apc-signature` = hex HMAC-SHA256(key, "<unix ms>:<body>"). */
function verifyAppcues(request: Received, secret: string): void {
  const timestamp = header(request, 'x-apc-timestamp');
  const signature = header(request, 'x-apc-signature');
  assert.ok(timestamp !== undefined && /^\d+$/.test(timestamp), `x-apc-timestamp is unix ms: ${timestamp}`);
  assert.ok(
    Math.abs(Number(timestamp) - Date.now()) < 60_000,
    'x-apc-timestamp is in milliseconds and recent',
  );
  const expected = createHmac('sha256', keyOf(secret)).update(`${timestamp}:${request.body}`).digest('hex');
  assert.equal(signature, expected, 'x-apc-signature is the hex HMAC-SHA256 of "<timestamp>:<body>"');
}

/** The object's keys, depth first, as paths: equal lists mean equal key order at every level. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => keyPaths(item, `${prefix}[${index}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [
    `${prefix}/${key}`,
    ...keyPaths(child, `${prefix}/${key}`),
  ]);
}

function withoutIngestedAt(event: Record<string, unknown>): Record<string, unknown> {
  const { ingested_at: _ignored, ...rest } = event;
  return rest;
}

async function createWebhook(
  server: TestServer,
  account: { id: string; adminKey: string },
  body: Record<string, unknown>,
) {
  const created = await server.api('POST', `/v1/accounts/${account.id}/webhooks`, {
    key: account.adminKey,
    body,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body as { id: string; secret: string | null; signed: boolean };
}

async function send(
  server: TestServer,
  account: { id: string; adminKey: string },
  event: unknown,
): Promise<string[]> {
  const sent = await server.api('POST', `/v1/accounts/${account.id}/events`, {
    key: account.adminKey,
    body: event,
  });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  return sent.body.ids as string[];
}

async function deliveryIdOf(server: TestServer, account: { id: string; adminKey: string }, eventId: string) {
  const list = await server.api(
    'GET',
    `/v1/accounts/${account.id}/deliveries?event_id=${encodeURIComponent(eventId)}`,
    {
      key: account.adminKey,
    },
  );
  assert.equal(list.status, 200);
  assert.equal(list.body.data.length, 1, `one delivery for event ${eventId}`);
  return list.body.data[0].id as string;
}

test('every seed payload is delivered unchanged, in key order, and signed with both schemes', async (t) => {
  const server = await startTestServer();
  const receiver = await startReceiver();
  t.after(() => Promise.all([server.close(), receiver.close()]));
  const account = await server.account();
  const webhook = await createWebhook(server, account, {
    name: 'all',
    url: `${receiver.url}/hook`,
    events: ['*'],
  });
  const secret = webhook.secret as string;
  assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  assert.equal(keyOf(secret).length, 32, 'a generated secret is 32 random bytes');
  const revealed = await server.api('GET', `/v1/accounts/${account.id}/webhooks/${webhook.id}/secret`, {
    key: account.adminKey,
  });
  assert.equal(revealed.status, 200);
  assert.deepEqual(revealed.body, { secret });

  const seeds = loadSeeds();
  assert.equal(seeds.length, 13);
  const seen = new Set<string>();
  const payloads = seeds.map(({ title, payload }) => {
    // The seed's NPS Feedback example reuses the NPS Score example's id.
    if (seen.has(payload.id)) {
      assert.equal(title, 'NPS Feedback');
      return { ...payload, id: randomUUID() };
    }
    seen.add(payload.id);
    return payload;
  });
  const byId = new Map(payloads.map((payload) => [payload.id as string, payload]));
  assert.equal(byId.size, 13);

  const before = Date.now();
  for (const payload of payloads) {
    assert.deepEqual(await send(server, account, payload), [payload.id]);
  }
  const after = Date.now();
  const requests = await receiver.waitFor(13);

  const delivered = new Set<string>();
  for (const request of requests) {
    assert.equal(request.path, '/hook');
    assert.match(header(request, 'content-type') ?? '', /^application\/json/);
    const body = JSON.parse(request.body) as Record<string, unknown>;
    const seed = byId.get(body.id as string);
    assert.ok(seed, `the delivered id ${String(body.id)} is a seed's`);
    delivered.add(body.id as string);

    assert.deepEqual(withoutIngestedAt(body), withoutIngestedAt(seed), `${seed.name}: every field unchanged`);
    assert.equal(typeof body.ingested_at, 'number');
    assert.ok(Number.isInteger(body.ingested_at), 'ingested_at is integer ms');
    assert.ok(
      (body.ingested_at as number) >= before - 1000 && (body.ingested_at as number) <= after + 1000,
      `ingested_at ${String(body.ingested_at)} is the server's ingest time, in ms`,
    );
    assert.deepEqual(keyPaths(body), keyPaths(seed), `${seed.name}: the seed's key order`);

    verifyStandard(request, secret);
    verifyAppcues(request, secret);
    assert.equal(header(request, 'webhook-id'), await deliveryIdOf(server, account, body.id as string));
    assert.match(header(request, 'webhook-timestamp') ?? '', /^\d{10}$/, 'webhook-timestamp is unix seconds');
    assert.match(header(request, 'webhook-signature') ?? '', /^v1,[A-Za-z0-9+/]+=*$/, 'one v1 signature');
  }
  assert.equal(delivered.size, 13, 'each seed delivered once');
});

test('a custom secret signs with its UTF-8 bytes', async (t) => {
  const server = await startTestServer();
  const receiver = await startReceiver();
  t.after(() => Promise.all([server.close(), receiver.close()]));
  const account = await server.account();
  const secret = 'my shared secret ✓';
  const webhook = await createWebhook(server, account, {
    name: 'custom',
    url: `${receiver.url}/custom`,
    events: ['*'],
    secret,
  });
  assert.equal(webhook.secret, secret);
  const revealed = await server.api('GET', `/v1/accounts/${account.id}/webhooks/${webhook.id}/secret`, {
    key: account.adminKey,
  });
  assert.deepEqual(revealed.body, { secret });

  const [seed] = loadSeeds();
  await send(server, account, seed?.payload);
  const [request] = await receiver.waitFor(1);
  assert.ok(request);
  verifyAppcues(request, secret);
  verifyStandard(request, secret);
  // Not keyed by a base64 reading of the secret.
  const wrong = createHmac('sha256', Buffer.from(secret, 'base64'))
    .update(`${header(request, 'x-apc-timestamp')}:${request.body}`)
    .digest('hex');
  assert.notEqual(header(request, 'x-apc-signature'), wrong);
});

test('secret: null makes an unsigned webhook', async (t) => {
  const server = await startTestServer();
  const receiver = await startReceiver();
  t.after(() => Promise.all([server.close(), receiver.close()]));
  const account = await server.account();
  const webhook = await createWebhook(server, account, {
    name: 'unsigned',
    url: `${receiver.url}/unsigned`,
    events: ['*'],
    secret: null,
  });
  assert.equal(webhook.secret, null);
  assert.equal(webhook.signed, false);
  const revealed = await server.api('GET', `/v1/accounts/${account.id}/webhooks/${webhook.id}/secret`, {
    key: account.adminKey,
  });
  assert.deepEqual(revealed.body, { secret: null });

  const [seed] = loadSeeds();
  const [eventId] = await send(server, account, seed?.payload);
  const [request] = await receiver.waitFor(1);
  assert.ok(request);
  for (const name of ['x-apc-timestamp', 'x-apc-signature', 'webhook-signature']) {
    assert.equal(request.headers[name], undefined, `no ${name}`);
  }
  const webhookId = header(request, 'webhook-id');
  if (webhookId !== undefined)
    assert.equal(webhookId, await deliveryIdOf(server, account, eventId as string));
  assert.deepEqual(withoutIngestedAt(JSON.parse(request.body)), withoutIngestedAt(seed?.payload ?? {}));
});

test('after rotate-secret, deliveries carry both secrets in webhook-signature and Appcues signs with the new', async (t) => {
  const server = await startTestServer();
  const receiver = await startReceiver();
  t.after(() => Promise.all([server.close(), receiver.close()]));
  const account = await server.account();
  const webhook = await createWebhook(server, account, {
    name: 'rotating',
    url: `${receiver.url}/rotating`,
    events: ['*'],
  });
  const oldSecret = webhook.secret as string;
  const seeds = loadSeeds().map((seed) => seed.payload);

  // Before: one entry, the old secret.
  await send(server, account, { ...seeds[2], id: randomUUID() });
  const [first] = await receiver.waitFor(1);
  assert.ok(first);
  assert.equal(header(first, 'webhook-signature')?.split(' ').length, 1);
  verifyStandard(first, oldSecret);
  verifyAppcues(first, oldSecret);

  const rotated = await server.api(
    'POST',
    `/v1/accounts/${account.id}/webhooks/${webhook.id}/rotate-secret`,
    {
      key: account.adminKey,
    },
  );
  assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
  const newSecret = rotated.body.secret as string;
  assert.match(newSecret, /^whsec_/);
  assert.notEqual(newSecret, oldSecret);
  const revealed = await server.api('GET', `/v1/accounts/${account.id}/webhooks/${webhook.id}/secret`, {
    key: account.adminKey,
  });
  assert.deepEqual(revealed.body, { secret: newSecret });

  const [eventId] = await send(server, account, { ...seeds[3], id: randomUUID() });
  const [, second] = await receiver.waitFor(2);
  assert.ok(second);
  assert.equal(JSON.parse(second.body).id, eventId);
  assert.equal(header(second, 'webhook-id'), await deliveryIdOf(server, account, eventId as string));

  const entries = (header(second, 'webhook-signature') ?? '').split(' ');
  assert.equal(entries.length, 2, 'one v1 entry per valid secret, space-separated');
  for (const entry of entries) assert.match(entry, /^v1,[A-Za-z0-9+/]+=*$/);
  // The whole header verifies with either secret …
  verifyStandard(second, newSecret);
  verifyStandard(second, oldSecret);
  // … and each entry is the signature of one of them, one each.
  const verifies = (secret: string, entry: string) => {
    try {
      verifyStandard(second, secret, entry);
      return true;
    } catch {
      return false;
    }
  };
  const signers = entries.map((entry) => {
    const byNew = verifies(newSecret, entry);
    const byOld = verifies(oldSecret, entry);
    assert.ok(byNew !== byOld, `entry ${entry.slice(0, 12)}… verifies with exactly one secret`);
    return byNew ? 'new' : 'old';
  });
  assert.deepEqual([...signers].sort(), ['new', 'old']);
  // Appcues signs with the newest secret only.
  verifyAppcues(second, newSecret);
  assert.throws(() => verifyAppcues(second, oldSecret));
});
