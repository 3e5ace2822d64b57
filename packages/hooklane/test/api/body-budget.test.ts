import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { test } from 'node:test';
import { startTestServer } from '../helpers/hooklane.ts';

/** A body of exactly `length` bytes: one valid event, padded with JSON whitespace. */
function eventBody(id: string, length: number): string {
  const json = JSON.stringify({
    id,
    name: 'appcues:flow_started',
    user_id: 'u1',
    attributes: { flowId: 'f1' },
  });
  return json + ' '.repeat(length - Buffer.byteLength(json));
}

test('bodies in flight are bounded: beyond the budget a request gets 503 overloaded, then gets in', async (t) => {
  const server = await startTestServer({
    HOOKLANE_MAX_BODY_BYTES: '4096',
    HOOKLANE_MAX_BODY_BYTES_IN_FLIGHT: '6000',
  });
  t.after(() => server.close());
  const account = await server.account();
  const url = new URL(`/v1/accounts/${account.id}/events`, server.url);
  const headers = { authorization: `Bearer ${account.adminKey}`, 'content-type': 'application/json' };

  // A slow client: headers and half of a 4,000-byte body, the rest held back.
  const slowBody = eventBody('slow-1', 4000);
  const slow = httpRequest(url, { method: 'POST', headers: { ...headers, 'content-length': '4000' } });
  const slowAnswer = new Promise<number>((resolve, reject) => {
    slow.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    slow.on('error', reject);
  });
  slow.write(slowBody.slice(0, 2000));
  await new Promise((resolve) => setTimeout(resolve, 200));

  // 4,000 reserved + 3,000 > 6,000: refused in onRequest, before its body is read.
  const post = (id: string) =>
    fetch(url, { method: 'POST', headers, body: eventBody(id, 3000), signal: AbortSignal.timeout(5000) });
  const refused = await post('fast-1');
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get('retry-after'), '1');
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'overloaded');
  // Requests without a body are not counted.
  assert.equal((await server.api('GET', `/v1/accounts/${account.id}/webhooks`)).status, 200);

  slow.end(slowBody.slice(2000));
  assert.equal(await slowAnswer, 202);
  const admitted = await post('fast-1');
  assert.equal(admitted.status, 202);
  assert.deepEqual(await admitted.json(), { ids: ['fast-1'] });
});

test('one request is always admitted, whatever its size within the body limit', async (t) => {
  const server = await startTestServer({
    HOOKLANE_MAX_BODY_BYTES: '8192',
    HOOKLANE_MAX_BODY_BYTES_IN_FLIGHT: '1024',
  });
  t.after(() => server.close());
  const account = await server.account();
  const response = await fetch(new URL(`/v1/accounts/${account.id}/events`, server.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${account.adminKey}`, 'content-type': 'application/json' },
    body: eventBody('big-1', 8000),
  });
  assert.equal(response.status, 202);
});
