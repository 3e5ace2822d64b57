import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/hooklane.ts';
import { cliEnv, json, runCli, spawnCli } from './run-cli.ts';

// Exit codes scripts rely on (0 ok, 1 API error, 2 usage, 3 unreachable), help, colour,
// saved profiles, and the server-side commands (start, migrate).

describe('exit codes, help and profiles', () => {
  let server: TestServer;
  let account: { id: string; adminKey: string };

  before(async () => {
    server = await startTestServer();
    account = await server.account();
  });
  after(() => server.close());

  it('a bad key exits 1 with the API error code on stderr', async () => {
    const result = await runCli(
      ['webhooks', 'list'],
      cliEnv({ HOOKLANE_URL: server.url, HOOKLANE_KEY: 'hlk_wrong_key_123', HOOKLANE_ACCOUNT: account.id }),
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /unauthorized: A valid API key is required/);
    assert.equal(result.stdout, '');

    const forbidden = await runCli(
      ['accounts', 'create', 'x'],
      cliEnv({ HOOKLANE_URL: server.url, HOOKLANE_KEY: account.adminKey }),
    );
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.stderr, /forbidden/);
  });

  it('an unreachable server exits 3', async () => {
    const closed = await startTestServer();
    const url = closed.url;
    await closed.close();
    const result = await runCli(
      ['webhooks', 'list'],
      cliEnv({ HOOKLANE_URL: url, HOOKLANE_KEY: account.adminKey, HOOKLANE_ACCOUNT: account.id }),
    );
    assert.equal(result.code, 3);
    assert.match(result.stderr, /cannot reach http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it('usage errors exit 2: unknown command or option, missing argument, key or account', async () => {
    const env = cliEnv({ HOOKLANE_URL: server.url, HOOKLANE_KEY: account.adminKey });
    const cases: [string[], RegExp][] = [
      [['nope'], /unknown command 'nope'/],
      [['webhooks', 'frobnicate'], /unknown command 'frobnicate'/],
      [['webhooks', 'list', '--bogus'], /unknown option '--bogus'/],
      [['keys', 'create'], /required option '--role <role>'/],
      [['keys', 'create', '--role', 'god'], /Allowed choices are admin, viewer, ingest/],
      [['deliveries', 'list', '--since', 'yesterday-ish'], /expected an ISO 8601 time/],
      [['--url', 'ftp://x', 'webhooks', 'list', '--account', 'acc_1'], /must be http/],
      [[], /Usage: hooklane/],
    ];
    for (const [args, pattern] of cases) {
      const result = await runCli(args, env);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, pattern, args.join(' '));
    }
    // An account key's account is inferred; the root key belongs to none, so it needs --account.
    const rootWithoutAccount = await runCli(
      ['webhooks', 'list'],
      cliEnv({ HOOKLANE_URL: server.url, HOOKLANE_KEY: server.rootKey }),
    );
    assert.equal(rootWithoutAccount.code, 2, rootWithoutAccount.stderr);
    assert.match(rootWithoutAccount.stderr, /no account: pass --account/);
    const noKey = await runCli(
      ['webhooks', 'list', '--account', account.id],
      cliEnv({ HOOKLANE_URL: server.url }),
    );
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /no API key/);
  });

  it('--help works everywhere, with examples and the exit codes', async () => {
    const env = cliEnv();
    const top = await runCli(['--help'], env);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Examples:/);
    assert.match(top.stdout, /Exit codes:/);
    for (const command of ['listen', 'verify', 'login', 'migrate', 'start']) {
      assert.match(top.stdout, new RegExp(`^ {2}${command}\\b`, 'm'), `${command} listed`);
    }
    for (const args of [
      ['webhooks', 'create'],
      ['events', 'send'],
      ['deliveries', 'recover'],
      ['listen'],
      ['verify'],
    ]) {
      const help = await runCli([...args, '--help'], env);
      assert.equal(help.code, 0, args.join(' '));
      assert.match(help.stdout, /Examples:\n {2}\$ hooklane /, args.join(' '));
      assert.match(help.stdout, /--json/, `${args.join(' ')} shows the global options`);
    }
    const version = await runCli(['--version'], env);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  });

  it('colour only when asked for: none without a TTY or with NO_COLOR, some with FORCE_COLOR', async () => {
    const env = cliEnv({
      HOOKLANE_URL: server.url,
      HOOKLANE_KEY: account.adminKey,
      HOOKLANE_ACCOUNT: account.id,
    });
    const plain = await runCli(['keys', 'list'], env);
    assert.equal(plain.code, 0);
    assert.ok(!plain.stdout.includes('\x1b['));
    const forced = await runCli(['keys', 'list'], { ...env, FORCE_COLOR: '1' });
    assert.ok(forced.stdout.includes('\x1b['));
    const none = await runCli(['keys', 'list'], { ...env, FORCE_COLOR: '1', NO_COLOR: '1' });
    assert.ok(!none.stdout.includes('\x1b['));
  });

  it('login saves a profile (mode 0600) that later commands use', async () => {
    const env = cliEnv();
    const configDir = env.HOOKLANE_CONFIG_DIR ?? '';
    const bad = await runCli(
      ['login', '--url', server.url, '--key', 'hlk_wrong_key_123', '--account', account.id],
      env,
    );
    assert.equal(bad.code, 1, 'a refused key is not saved');
    assert.throws(() => statSync(join(configDir, 'profiles.json')));

    const saved = await runCli(
      [
        'login',
        '--url',
        server.url,
        '--key',
        account.adminKey,
        '--account',
        account.id,
        '--profile',
        'staging',
      ],
      env,
    );
    assert.equal(saved.code, 0, saved.stderr);
    const path = join(configDir, 'profiles.json');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    assert.deepEqual(file.profiles.staging, { url: server.url, key: account.adminKey, account: account.id });

    const viaFlag = await runCli(['--profile', 'staging', 'keys', 'list', '--json'], env);
    assert.equal(viaFlag.code, 0, viaFlag.stderr);
    assert.equal(json(viaFlag).data.length, 1);
    const viaEnv = await runCli(['accounts', 'show', '--json'], { ...env, HOOKLANE_PROFILE: 'staging' });
    assert.equal(json(viaEnv).id, account.id);

    // No default profile: nothing says which key to use.
    const noDefault = await runCli(['keys', 'list'], env);
    assert.equal(noDefault.code, 2);
    const unknown = await runCli(['--profile', 'prod', 'keys', 'list'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no profile "prod".*known: staging/);

    // The default profile, and flags over it.
    const root = await runCli(['login', '--url', server.url, '--key', server.rootKey], env);
    assert.equal(root.code, 0, root.stderr);
    const created = await runCli(['accounts', 'create', 'From profile', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    const overridden = await runCli(['accounts', 'create', 'x', '--key', 'hlk_wrong_key_123'], env);
    assert.equal(overridden.code, 1);
  });
});

describe('server commands', () => {
  it('migrate applies pending migrations once, and leaves a store in use to the server that migrated it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hooklane-migrate-'));
    try {
      const env = cliEnv({ HOOKLANE_DATA_DIR: dataDir });
      const first = await runCli(['migrate'], env);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^Applied \d+ migrations? to .*hooklane\.db\.$/m);
      const again = await runCli(['migrate', '--json'], env);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(json(again).applied, 0);

      // The embedded store, whichever backend this run tests: its file lock is the point.
      const running = await startTestServer({ HOOKLANE_DATA_DIR: dataDir, DATABASE_URL: '' });
      try {
        const locked = await runCli(['migrate'], env);
        assert.equal(locked.code, 0, locked.stderr);
        assert.match(
          locked.stdout,
          /^A running Hooklane server is using .*hooklane\.db: it applied the migrations when it started\. Nothing to do\.$/m,
        );
        const lockedJson = json(await runCli(['migrate', '--json'], env));
        assert.equal(lockedJson.applied, 0);
        assert.equal(lockedJson.in_use, true);
        // The server keeps its store: nothing was opened behind its back.
        assert.equal((await running.api('GET', '/v1/me')).status, 200);
      } finally {
        await running.close();
      }
      const badConfig = await runCli(['migrate'], { ...env, HOOKLANE_RETRY_JITTER: '7' });
      assert.equal(badConfig.code, 2);
      assert.match(badConfig.stderr, /HOOKLANE_RETRY_JITTER/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('start runs the server until SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hooklane-start-'));
    try {
      const env = cliEnv({ HOOKLANE_ROOT_KEY: 'hlr_test_start_key_123', LOG_LEVEL: 'silent' });
      const started = spawnCli(['start', '--port', '0', '--data-dir', dataDir], env);
      const [, url] = await started.waitFor('stdout', /Hooklane listening on (\S+)/, 15_000);
      const created = await runCli(['accounts', 'create', 'Acme', '--json'], {
        ...env,
        HOOKLANE_URL: url ?? '',
        HOOKLANE_KEY: 'hlr_test_start_key_123',
      });
      assert.equal(created.code, 0, created.stderr);
      started.child.kill('SIGTERM');
      assert.equal((await started.exited).code, 0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
