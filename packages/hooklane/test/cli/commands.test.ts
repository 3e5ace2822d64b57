import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verify } from '@hooklane/receiver';
import { eventually, startTestServer, type TestServer } from '../helpers/hooklane.ts';
import { type Received, type Receiver, startReceiver } from '../helpers/receiver.ts';
import { type CliResult, cliEnv, json, runCli } from './run-cli.ts';

// The whole command set, run as the real binary against a real server and real receivers:
// accounts → keys → webhooks → events → deliveries → verify.

const ANSI = '\x1b[';

const ok = (result: CliResult): CliResult => {
  assert.equal(result.code, 0, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  assert.ok(!result.stdout.includes(ANSI), 'no colour codes when stdout is not a TTY');
  return result;
};

describe('hooklane CLI commands', () => {
  let server: TestServer;
  let receiver: Receiver;
  let flaky: Receiver;
  let flakyStatus = 500;
  let dir: string;
  let rootEnv: Record<string, string>;
  let env: Record<string, string>;
  let account: string;
  let webhook: { id: string; secret: string };
  let flakyWebhook: string;

  const received = (name: string): Received[] =>
    receiver.requests.filter((request) => JSON.parse(request.body).name === name);

  before(async () => {
    server = await startTestServer();
    receiver = await startReceiver();
    flaky = await startReceiver(() => ({ status: flakyStatus }));
    dir = mkdtempSync(join(tmpdir(), 'hooklane-cli-'));
    rootEnv = cliEnv({ HOOKLANE_URL: server.url, HOOKLANE_KEY: server.rootKey });
  });

  after(async () => {
    await Promise.all([server.close(), receiver.close(), flaky.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('accounts create (root key) and keys create', async () => {
    const created = json(ok(await runCli(['accounts', 'create', 'Acme', '--json'], rootEnv)));
    assert.match(created.id, /^acc_/);
    assert.equal(created.name, 'Acme');
    account = created.id;

    const plain = ok(await runCli(['accounts', 'create', 'Other'], rootEnv));
    assert.match(plain.stdout, /^id\s+acc_\w+$/m);

    const key = json(
      ok(await runCli(['keys', 'create', '--account', account, '--role', 'admin', '--json'], rootEnv)),
    );
    assert.match(key.key, /^hlk_/);
    assert.equal(key.role, 'admin');
    env = { ...rootEnv, HOOKLANE_KEY: key.key, HOOKLANE_ACCOUNT: account };

    const shown = json(ok(await runCli(['accounts', 'show', '--json'], env)));
    assert.equal(shown.id, account);
    const keys = json(ok(await runCli(['keys', 'list', '--json'], env)));
    assert.deepEqual(
      keys.data.map((k: any) => k.id),
      [key.id],
    );
  });

  it('webhooks create, list, update, rotate-secret', async () => {
    const created = json(
      ok(
        await runCli(
          ['webhooks', 'create', `${receiver.url}/hooks`, '--events', 'flow_completed,nps_score', '--json'],
          env,
        ),
      ),
    );
    assert.match(created.id, /^wh_/);
    assert.match(created.secret, /^whsec_/);
    assert.deepEqual(created.events, ['flow_completed', 'nps_score']);
    webhook = { id: created.id, secret: created.secret };

    const plain = ok(await runCli(['webhooks', 'create', `${flaky.url}/flaky`, '--name', 'Flaky'], env));
    assert.match(plain.stdout, /^secret\s+whsec_/m);
    flakyWebhook = /^id\s+(wh_\w+)$/m.exec(plain.stdout)?.[1] ?? '';
    assert.ok(flakyWebhook);

    const list = json(ok(await runCli(['webhooks', 'list', '--json'], env)));
    assert.deepEqual(list.data.map((w: any) => w.id).sort(), [webhook.id, flakyWebhook].sort());
    const table = ok(await runCli(['webhooks', 'list'], env));
    assert.match(table.stdout, /^ID\s+NAME\s+URL/m);
    assert.ok(table.stdout.includes(`${receiver.url}/hooks`));

    const updated = json(
      ok(
        await runCli(
          [
            'webhooks',
            'update',
            webhook.id,
            '--name',
            'CRM',
            '--events',
            'flow_completed',
            '-H',
            'X-Team: growth',
            '--json',
          ],
          env,
        ),
      ),
    );
    assert.equal(updated.name, 'CRM');
    assert.deepEqual(updated.events, ['flow_completed']);
    assert.deepEqual(updated.headers, { 'x-team': 'growth' });

    const nothing = await runCli(['webhooks', 'update', webhook.id], env);
    assert.equal(nothing.code, 2, nothing.stderr);
    assert.match(nothing.stderr, /nothing to change/);

    const rotated = json(ok(await runCli(['webhooks', 'rotate-secret', webhook.id, '--json'], env)));
    assert.match(rotated.secret, /^whsec_/);
    assert.notEqual(rotated.secret, webhook.secret);
    assert.ok(Date.parse(rotated.previous_secret_valid_until) > Date.now());
    webhook.secret = rotated.secret;
    const secret = ok(await runCli(['webhooks', 'secret', webhook.id], env));
    assert.equal(secret.stdout.trim(), webhook.secret);
  });

  it('webhooks test sends the sample, signed, and waits for the attempt', async () => {
    const result = ok(await runCli(['webhooks', 'test', webhook.id], env));
    assert.match(result.stdout, /dlv_\w+: 204 in \d+ ms/);
    const [request] = received('appcues:flow_completed');
    assert.ok(request, 'the receiver got the flow_completed sample');
    assert.equal(request.headers['x-team'], 'growth');
    const verified = await verify(request.body, request.headers, webhook.secret);
    assert.equal((verified.payload as any).account_id, account);

    // The endpoint answering 500 makes the command exit 1.
    const failing = await runCli(['webhooks', 'test', flakyWebhook, '--type', 'nps_score'], env);
    assert.equal(failing.code, 1, failing.stderr);
    assert.match(failing.stderr, /failed: answered 500/);
  });

  it('events send from a file, from stdin and from a catalog sample', async () => {
    const file = join(dir, 'event.json');
    writeFileSync(
      file,
      JSON.stringify({
        id: 'evt-file-1',
        name: 'appcues:flow_completed',
        user_id: 'u1',
        attributes: { flowId: 'f1' },
      }),
    );
    const fromFile = ok(await runCli(['events', 'send', file], env));
    assert.equal(fromFile.stdout.trim(), 'evt-file-1');

    const batch = [
      { id: 'evt-stdin-1', name: 'appcues:flow_completed', user_id: 'u2', attributes: { flowId: 'f2' } },
      { id: 'evt-stdin-2', name: 'custom_thing', user_id: 'u2' },
    ];
    const fromStdin = json(
      ok(await runCli(['events', 'send', '--json'], env, { input: JSON.stringify({ events: batch }) })),
    );
    assert.deepEqual(fromStdin.ids, ['evt-stdin-1', 'evt-stdin-2']);

    const sample = ok(await runCli(['events', 'send', '--sample', 'flow_completed'], env));
    const sampleId = sample.stdout.trim();
    assert.match(sampleId, /^[0-9a-f-]{36}$/, 'the server gave the sample a fresh id');

    await eventually(
      () => (received('appcues:flow_completed').length >= 4 ? true : undefined),
      10_000,
      'file, stdin and sample events delivered',
    );
    const bodies = received('appcues:flow_completed').map((r) => JSON.parse(r.body));
    const delivered = bodies.find((body) => body.id === sampleId);
    assert.equal(delivered.account_id, account, 'the server filled in this account');
    assert.ok(bodies.some((body) => body.id === 'evt-file-1'));
    assert.ok(bodies.some((body) => body.id === 'evt-stdin-1'));

    const invalid = await runCli(['events', 'send', '-'], env, { input: '{not json' });
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /not valid JSON/);
    const refused = await runCli(['events', 'send', '-'], env, {
      input: '{"name":"appcues:flow_completed","user_id":"u"}',
    });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /invalid_event/);
    const unknown = await runCli(['events', 'send', '--sample', 'nope'], env);
    assert.equal(unknown.code, 2);
  });

  it('deliveries list and show', async () => {
    const list = json(ok(await runCli(['deliveries', 'list', '--webhook', webhook.id, '--json'], env)));
    assert.ok(list.data.length >= 4);
    assert.ok(list.data.every((d: any) => d.webhook_id === webhook.id));
    const first = list.data.find((d: any) => d.status === 'succeeded');
    assert.ok(first);

    const table = ok(await runCli(['deliveries', 'list', '--status', 'succeeded', '--limit', '2'], env));
    assert.match(table.stdout, /^ID\s+STATUS/m);
    assert.match(table.stdout, /succeeded/);
    assert.match(table.stderr, /More: add --cursor \S+/);

    const shown = json(ok(await runCli(['deliveries', 'show', first.id, '--json'], env)));
    assert.equal(shown.id, first.id);
    assert.equal(shown.attempts[0].response.status, 204);
    const plain = ok(await runCli(['deliveries', 'show', first.id, '--bodies'], env));
    assert.match(plain.stdout, /^#\s+STARTED\s+STATUS/m);
    assert.match(plain.stdout, /< 204/);

    const missing = await runCli(['deliveries', 'show', 'dlv_00000000000000000000000000'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /not_found/);
  });

  it('deliveries retry and recover (with progress) re-send failed deliveries', async () => {
    await runCli(['events', 'send', '--sample', 'nps_score'], env).then(ok);
    // Every delivery to the flaky webhook (it takes "*") exhausts its attempts against the 500s.
    const failed = await eventually(
      async () => {
        const all = (
          await server.api('GET', `/v1/accounts/${account}/deliveries?webhook_id=${flakyWebhook}&limit=250`)
        ).body.data as any[];
        return all.length >= 2 && all.every((d) => d.status === 'failed') ? all : undefined;
      },
      15_000,
      'failed deliveries on the flaky webhook',
    );

    const stillFailing = await runCli(['deliveries', 'retry', failed[0].id, '--wait'], env);
    assert.equal(stillFailing.code, 1, stillFailing.stderr);
    assert.match(stillFailing.stdout, /500 in \d+ ms/);

    flakyStatus = 204;
    const retried = ok(await runCli(['deliveries', 'retry', failed[0].id, '--wait', '--json'], env));
    assert.equal(json(retried).status, 'succeeded');

    const recovered = ok(await runCli(['deliveries', 'recover', '--since', '1h', '--json'], env));
    const totals = json(recovered);
    assert.equal(totals.recovered, failed.length - 1);
    assert.equal(totals.succeeded, failed.length - 1);
    assert.equal(totals.failed, 0);
    assert.match(recovered.stderr, /Re-queued \d+ failed deliver/);
    assert.match(recovered.stderr, /succeeded, 0 failed/);
    assert.ok(!recovered.stderr.includes(ANSI), 'no bar or colours when stderr is not a TTY');

    const none = ok(await runCli(['deliveries', 'recover', '--since', '1h', '--webhook', flakyWebhook], env));
    assert.match(none.stderr, /Re-queued 0 failed deliveries of 1 webhook/);
  });

  it('verify checks a saved request against the secret: exit 0 valid, 1 invalid', async () => {
    const [request] = received('appcues:flow_completed');
    assert.ok(request);
    const saved = join(dir, 'request.json');
    writeFileSync(saved, JSON.stringify({ headers: request.headers, body: request.body }));

    const valid = ok(await runCli(['verify', saved, '--secret', webhook.secret], env));
    assert.match(valid.stdout, /^valid\s+standard/m);
    assert.match(valid.stdout, /^valid\s+appcues/m);

    const wrong = await runCli(
      ['verify', saved, '--secret', 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', '--json'],
      env,
    );
    assert.equal(wrong.code, 1);
    assert.equal(json(wrong).valid, false);
    assert.match(wrong.stderr, /invalid signature/);

    const tampered = join(dir, 'tampered.json');
    writeFileSync(
      tampered,
      JSON.stringify({ headers: request.headers, body: request.body.replace('u', 'v') }),
    );
    const changed = await runCli(['verify', tampered, '--secret', webhook.secret], env);
    assert.equal(changed.code, 1);
    assert.match(changed.stdout, /^invalid\s+standard\s+invalid_signature/m);

    const fromStdin = ok(
      await runCli(
        ['verify', '-', '--scheme', 'standard'],
        { ...env, HOOKLANE_WEBHOOK_SECRET: webhook.secret },
        {
          input: JSON.stringify({ headers: request.headers, body: request.body }),
        },
      ),
    );
    assert.match(fromStdin.stdout, /^valid\s+standard/m);

    // A saved request is old; --tolerance applies a receiver's age limit.
    const old = join(dir, 'old.json');
    const oldHeaders = {
      ...request.headers,
      'webhook-timestamp': String(Math.floor(Date.now() / 1000) - 3600),
    };
    writeFileSync(old, JSON.stringify({ headers: oldHeaders, body: request.body }));
    const tooOld = await runCli(
      ['verify', old, '--secret', webhook.secret, '--scheme', 'standard', '--tolerance', '5m'],
      env,
    );
    assert.equal(tooOld.code, 1);
    assert.match(tooOld.stdout, /timestamp_too_old/);

    const noBody = join(dir, 'parsed.json');
    writeFileSync(noBody, JSON.stringify({ headers: request.headers, body: JSON.parse(request.body) }));
    const parsed = await runCli(['verify', noBody, '--secret', webhook.secret], env);
    assert.equal(parsed.code, 2);
    assert.match(parsed.stderr, /raw body as a string/);
  });

  it('webhooks delete', async () => {
    ok(await runCli(['webhooks', 'delete', flakyWebhook], env));
    const list = json(ok(await runCli(['webhooks', 'list', '--json'], env)));
    assert.deepEqual(
      list.data.map((w: any) => w.id),
      [webhook.id],
    );
    const gone = await runCli(['webhooks', 'show', flakyWebhook], env);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /not_found/);
  });
});
