import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { verify } from '@hooklane/receiver';
import { Webhook } from 'standardwebhooks';
import { startTestServer, type TestServer } from '../helpers/hooklane.ts';
import { startReceiver } from '../helpers/receiver.ts';
import { cliEnv, runCli, spawnCli } from './run-cli.ts';

// `hooklane listen`: the real binary holds the SSE stream of a real server and forwards each
// event, signed, to a real local receiver.

const flowCompleted = () => ({
  id: randomUUID(),
  name: 'appcues:flow_completed',
  user_id: 'u1',
  attributes: { flowId: 'f1' },
});

async function setUp(t: { after(fn: () => unknown): void }, server?: TestServer) {
  const srv = server ?? (await startTestServer());
  const receiver = await startReceiver();
  const account = await srv.account();
  t.after(async () => {
    await receiver.close();
    if (!server) await srv.close();
  });
  const env = cliEnv({ HOOKLANE_URL: srv.url, HOOKLANE_KEY: account.adminKey, HOOKLANE_ACCOUNT: account.id });
  const send = async (event: unknown) => {
    const sent = await srv.api('POST', `/v1/accounts/${account.id}/events`, {
      key: account.adminKey,
      body: event,
    });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
  };
  return { server: srv, receiver, account, env, send };
}

test('listen forwards matching events, signed with --secret, and prints a line per delivery', async (t) => {
  const { receiver, env, send } = await setUp(t);
  const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
  const listen = spawnCli(
    ['listen', '--forward-to', `${receiver.url}/hooks`, '--events', 'flow_completed', '--secret', secret],
    env,
  );
  t.after(() => listen.child.kill('SIGKILL'));
  await listen.waitFor('stderr', /Ready!/);
  assert.ok(!listen.stderr().includes(secret), 'a given secret is not echoed');

  await send({
    id: randomUUID(),
    name: 'appcues:nps_score',
    user_id: 'u1',
    attributes: { flowId: 'f1', score: 9 },
  });
  const event = flowCompleted();
  await send(event);
  const [request] = await receiver.waitFor(1);
  assert.ok(request);
  assert.equal(request.path, '/hooks');
  const body = JSON.parse(request.body);
  assert.equal(body.id, event.id, 'the nps_score event was filtered out; flow_completed came first');
  assert.equal(body.name, 'appcues:flow_completed');

  // Both signature header sets, checked by the receiver library and the standardwebhooks package.
  assert.equal(
    (await verify(request.body, request.headers, secret, { scheme: 'appcues' })).scheme,
    'appcues',
  );
  assert.equal(
    (await verify(request.body, request.headers, secret, { scheme: 'standard' })).scheme,
    'standard',
  );
  new Webhook(secret.slice('whsec_'.length)).verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  });

  const line = await listen.waitFor('stdout', /^.*flow_completed.*$/m);
  assert.match(line[0], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}flow_completed +204 +\d+ ms {2}[0-9a-f-]{36}$/);
  assert.ok(line[0].includes(event.id));
  assert.ok(!listen.stdout().includes('\x1b['), 'no colour codes when stdout is not a TTY');

  listen.child.kill('SIGINT');
  const exit = await listen.exited;
  assert.equal(exit.code, 0, exit.stderr);
  assert.equal(receiver.requests.length, 1);
});

test('listen prints a generated secret and, with --json, one JSON line per delivery', async (t) => {
  const { receiver, env, send } = await setUp(t);
  const listen = spawnCli(
    ['listen', '--forward-to', `${receiver.url}/in`, '--json', '--format', 'standard'],
    env,
  );
  t.after(() => listen.child.kill('SIGKILL'));
  const [, secret] = await listen.waitFor('stderr', /signing secret is (whsec_\S+)/);
  assert.ok(secret);

  const event = flowCompleted();
  await send(event);
  const [request] = await receiver.waitFor(1);
  assert.ok(request);
  const verified = await verify(request.body, request.headers, secret);
  assert.deepEqual(
    { type: (verified.payload as any).type, id: (verified.payload as any).data.id },
    { type: 'flow_completed', id: event.id },
  );

  const [line] = await listen.waitFor('stdout', /^\{.*\}$/m);
  const printed = JSON.parse(line);
  assert.equal(printed.type, 'flow_completed');
  assert.equal(printed.status, 204);
  assert.equal(printed.event_id, event.id);
  assert.equal(printed.webhook_id, request.headers['webhook-id']);

  listen.child.kill('SIGINT');
  assert.equal((await listen.exited).code, 0);
});

test('listen reconnects with backoff when the server goes away and comes back', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hooklane-listen-'));
  const rootKey = `hlr_test_${randomUUID().replaceAll('-', '')}`;
  const first = await startTestServer({ HOOKLANE_DATA_DIR: dataDir, HOOKLANE_ROOT_KEY: rootKey });
  const port = new URL(first.url).port;
  const { receiver, account, env } = await setUp(t, first);
  let second: TestServer | undefined;
  t.after(async () => {
    await second?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const listen = spawnCli(['listen', '--forward-to', `${receiver.url}/hooks`], env);
  t.after(() => listen.child.kill('SIGKILL'));
  await listen.waitFor('stderr', /Ready!/);

  await first.close();
  await listen.waitFor('stderr', /Stream lost .*reconnecting in/);
  second = await startTestServer({ HOOKLANE_DATA_DIR: dataDir, HOOKLANE_ROOT_KEY: rootKey, PORT: port });
  await listen.waitFor('stderr', /Reconnected\./, 15_000);

  const event = flowCompleted();
  const sent = await second.api('POST', `/v1/accounts/${account.id}/events`, {
    key: account.adminKey,
    body: event,
  });
  assert.equal(sent.status, 202);
  const [request] = await receiver.waitFor(1);
  assert.equal(JSON.parse(request?.body ?? '{}').id, event.id);

  listen.child.kill('SIGINT');
  assert.equal((await listen.exited).code, 0);
});

test('listen exits 1 on a bad key and 3 when the server cannot be reached', async (t) => {
  const { server, receiver, account } = await setUp(t);
  const forward = ['listen', '--forward-to', `${receiver.url}/hooks`];
  const bad = await runCli(
    forward,
    cliEnv({ HOOKLANE_URL: server.url, HOOKLANE_KEY: 'hlk_not_a_key', HOOKLANE_ACCOUNT: account.id }),
  );
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /unauthorized/);

  const closed = await startTestServer();
  const url = closed.url;
  await closed.close();
  const down = await runCli(
    forward,
    cliEnv({ HOOKLANE_URL: url, HOOKLANE_KEY: account.adminKey, HOOKLANE_ACCOUNT: account.id }),
  );
  assert.equal(down.code, 3);
  assert.match(down.stderr, /cannot reach/);

  const usage = await runCli(
    ['listen', '--forward-to', 'ftp://x'],
    cliEnv({ HOOKLANE_KEY: 'k', HOOKLANE_ACCOUNT: 'acc_1' }),
  );
  assert.equal(usage.code, 2);
});
