import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { eventually, startTestServer, TEST_BACKEND, type TestServer } from '../helpers/hooklane.ts';
import { startReceiver } from '../helpers/receiver.ts';
import { type CliResult, cliEnv, json, runCli, spawnCli } from './run-cli.ts';

// How the CLI knows the account it acts on (GET /v1/me, profiles), and `root-key rotate` on
// the machine that owns the data or through a running server.

const ok = (result: CliResult): CliResult => {
  assert.equal(result.code, 0, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
};

const profiles = (env: Record<string, string>) =>
  JSON.parse(readFileSync(join(env.HOOKLANE_CONFIG_DIR ?? '', 'profiles.json'), 'utf8')).profiles;

describe('the account a command acts on', () => {
  it('login (root) → accounts create → keys create → webhooks create → events send → deliveries list → listen, with no --account', async (t) => {
    const server = await startTestServer();
    const receiver = await startReceiver();
    t.after(async () => {
      await receiver.close();
      await server.close();
    });
    const env = cliEnv();

    const login = ok(await runCli(['login', '--url', server.url, '--key', server.rootKey], env));
    assert.match(login.stderr, /root key.*accounts create/);
    const created = ok(await runCli(['accounts', 'create', 'Acme'], env));
    const [, account] = /^id\s+(acc_\w+)$/m.exec(created.stdout) ?? [];
    assert.ok(account, created.stdout);
    assert.match(created.stderr, new RegExp(`Saved ${account} as the account of profile "default"`));
    assert.equal(profiles(env).default.account, account);

    const key = ok(await runCli(['keys', 'create', '--role', 'admin'], env));
    const [, adminKey] = /^key\s+(hlk_\S+)$/m.exec(key.stdout) ?? [];
    assert.ok(adminKey, key.stdout);
    const webhook = ok(
      await runCli(
        [
          'webhooks',
          'create',
          `${receiver.url}/hooks`,
          '--name',
          'CRM',
          '--events',
          'flow_completed,nps_score',
        ],
        env,
      ),
    );
    assert.match(webhook.stdout, /^id\s+wh_\w+$/m);

    const listen = spawnCli(['listen', '--forward-to', `${receiver.url}/listen`], env);
    t.after(() => listen.child.kill('SIGKILL'));
    await listen.waitFor('stderr', new RegExp(`Ready! Forwarding all events of ${account}`));

    const sent = ok(await runCli(['events', 'send', '--sample', 'flow_completed'], env));
    const eventId = sent.stdout.trim();
    assert.ok(eventId.length > 0);
    await eventually(() => (receiver.requests.some((r) => r.path === '/hooks') ? true : undefined));
    const deliveries = ok(await runCli(['deliveries', 'list', '--json'], env));
    assert.deepEqual(
      json(deliveries).data.map((d: { event_id: string }) => d.event_id),
      [eventId],
    );
    await listen.waitFor('stdout', new RegExp(`flow_completed\\s+204 .*${eventId}`));
    listen.child.kill('SIGINT');
    assert.equal((await listen.exited).code, 0);

    // The account key knows its account: no --account, no HOOKLANE_ACCOUNT, no profile.
    const bare = cliEnv({ HOOKLANE_URL: server.url, HOOKLANE_KEY: adminKey });
    assert.equal(json(ok(await runCli(['webhooks', 'list', '--json'], bare))).data.length, 1);
    // login with it saves its account.
    ok(await runCli(['login', '--profile', 'admin', '--url', server.url, '--key', adminKey], env));
    assert.deepEqual(profiles(env).admin, { url: server.url, key: adminKey, account });
    const mismatch = await runCli(
      ['login', '--profile', 'x', '--url', server.url, '--key', adminKey, '--account', 'acc_0other'],
      env,
    );
    assert.equal(mismatch.code, 2);
    assert.match(mismatch.stderr, new RegExp(`this key belongs to account ${account}, not acc_0other`));
  });

  it('a second account leaves the profile on the first until `accounts use` or --use; a key from elsewhere brings its own account', async (t) => {
    const server = await startTestServer();
    t.after(() => server.close());
    const env = cliEnv();
    ok(await runCli(['login', '--url', server.url, '--key', server.rootKey], env));
    const acme = json(ok(await runCli(['accounts', 'create', 'Acme', '--json'], env))).id;
    const globex = ok(await runCli(['accounts', 'create', 'Globex', '--json'], env));
    const globexId = json(globex).id;
    assert.match(globex.stderr, new RegExp(`still acts on ${acme}.*accounts use ${globexId}`));
    assert.equal(profiles(env).default.account, acme);

    ok(await runCli(['accounts', 'use', globexId], env));
    assert.equal(json(ok(await runCli(['accounts', 'show', '--json'], env))).id, globexId);
    const initech = json(ok(await runCli(['accounts', 'create', 'Initech', '--use', '--json'], env))).id;
    assert.equal(profiles(env).default.account, initech);
    const missing = await runCli(['accounts', 'use', 'acc_0nothere'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /not_found/);
    assert.equal(profiles(env).default.account, initech);

    // An account key given by flag acts on its own account, not on the profile's.
    const acmeKey = json(
      ok(await runCli(['keys', 'create', '--account', acme, '--role', 'viewer', '--json'], env)),
    ).key;
    const shown = json(ok(await runCli(['accounts', 'show', '--json', '--key', acmeKey], env)));
    assert.equal(shown.id, acme);

    // The root key without a profile account gets told about --account.
    const rootOnly = cliEnv({ HOOKLANE_URL: server.url, HOOKLANE_KEY: server.rootKey });
    for (const args of [
      ['keys', 'create', '--role', 'admin'],
      ['webhooks', 'create', 'https://example.com/hooks'],
      ['events', 'send', '--sample', 'flow_completed'],
      ['deliveries', 'list'],
      ['listen', '--forward-to', 'http://127.0.0.1:9/hooks'],
    ]) {
      const result = await runCli(args, rootOnly);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /no account: pass --account <id> \(the root key belongs to no account\)/);
    }
  });
});

/** A server whose root key is generated (none configured), on a data dir that outlives it. */
async function generatedRootServer(dataDir: string, extra: Record<string, string> = {}) {
  const server = await startTestServer({ HOOKLANE_DATA_DIR: dataDir, HOOKLANE_ROOT_KEY: '', ...extra });
  return { server, rootKey: server.hooklane.generatedRootKey ?? '' };
}

/** The CLI's environment for the machine that owns `server`'s data. */
const ownerEnv = (server: TestServer) => cliEnv({ ...server.env, LOG_LEVEL: 'silent' });

describe('root-key rotate', () => {
  it('on a stopped data dir prints only a new key, which works while the old one is refused', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hooklane-rotate-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await generatedRootServer(dataDir);
    const env = ownerEnv(first.server);
    ok(await runCli(['login', '--url', first.server.url, '--key', first.rootKey], env));
    await first.server.close();

    const rotated = ok(await runCli(['root-key', 'rotate'], env));
    assert.match(rotated.stdout, /^hlr_[\w-]+\n$/);
    const key = rotated.stdout.trim();
    assert.notEqual(key, first.rootKey);
    assert.match(rotated.stderr, /the old one no longer works/);
    assert.match(rotated.stderr, /Saved the new key in profile "default"/);
    assert.equal(profiles(env).default.key, key);

    const again = await generatedRootServer(dataDir);
    try {
      assert.equal(again.rootKey, '', 'no new key is generated: the store has one');
      const me = await again.server.api('GET', '/v1/me', { key });
      assert.equal(me.status, 200);
      assert.equal(me.body.role, 'root');
      assert.equal((await again.server.api('GET', '/v1/me', { key: first.rootKey })).status, 401);
    } finally {
      await again.server.close();
    }
  });

  it('is refused (exit 2) while a server holds the embedded store, and when the environment sets the key', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hooklane-rotate-held-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    // The embedded store, whichever backend this run tests: its file lock is the point.
    const { server, rootKey } = await generatedRootServer(dataDir, { DATABASE_URL: '' });
    try {
      const env = cliEnv({ HOOKLANE_DATA_DIR: dataDir });
      const held = await runCli(['root-key', 'rotate'], env);
      assert.equal(held.code, 2, held.stderr);
      assert.equal(held.stdout, '');
      assert.match(held.stderr, /a running Hooklane server is using .*root-key rotate --url <its URL> --key/);
      assert.equal((await server.api('GET', '/v1/me', { key: rootKey })).status, 200, 'nothing changed');

      const configured = await runCli(['root-key', 'rotate'], {
        ...env,
        HOOKLANE_ROOT_KEY: 'hlr_set_by_env_1234',
      });
      assert.equal(configured.code, 2);
      assert.match(configured.stderr, /the root key is set by the environment \(HOOKLANE_ROOT_KEY\)/);
    } finally {
      await server.close();
    }
    const empty = mkdtempSync(join(tmpdir(), 'hooklane-rotate-empty-'));
    t.after(() => rmSync(empty, { recursive: true, force: true }));
    const nothing = await runCli(['root-key', 'rotate', '--data-dir', empty], cliEnv());
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /no Hooklane store in/);
  });

  it('through a running server with the old key: the old key is refused at once', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hooklane-rotate-remote-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const { server, rootKey } = await generatedRootServer(dataDir);
    t.after(() => server.close());
    assert.equal((await server.api('GET', '/v1/me', { key: rootKey })).status, 200);

    const rotated = ok(await runCli(['root-key', 'rotate', '--url', server.url, '--key', rootKey], cliEnv()));
    assert.match(rotated.stdout, /^hlr_[\w-]+\n$/);
    const key = rotated.stdout.trim();
    assert.equal((await server.api('GET', '/v1/me', { key: rootKey })).status, 401);
    assert.equal((await server.api('GET', '/v1/me', { key })).status, 200);

    const stale = await runCli(['root-key', 'rotate', '--url', server.url, '--key', rootKey], cliEnv());
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /unauthorized/);
  });

  it('on PostgreSQL, from the machine that owns the data while servers run: they refuse the old key at once', {
    skip: TEST_BACKEND !== 'postgres' && 'PostgreSQL only',
  }, async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hooklane-rotate-pg-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const { server, rootKey } = await generatedRootServer(dataDir);
    t.after(() => server.close());
    // The server keeps the key it has seen; the rotation's announcement makes it forget it.
    assert.equal((await server.api('GET', '/v1/me', { key: rootKey })).status, 200);
    const rotated = ok(await runCli(['root-key', 'rotate'], ownerEnv(server)));
    const key = rotated.stdout.trim();
    await eventually(
      async () => ((await server.api('GET', '/v1/me', { key: rootKey })).status === 401 ? true : undefined),
      2_000,
      'the old key refused',
    );
    assert.equal((await server.api('GET', '/v1/me', { key })).status, 200);
  });
});
