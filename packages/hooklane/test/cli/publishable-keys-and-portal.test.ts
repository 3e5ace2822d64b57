import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/hooklane.ts';
import { BIN, type CliResult, cliEnv, json, runCli } from './run-cli.ts';

// `keys create --role publishable`, `keys update`, `portal create` and `portal revoke`, run as
// the real binary against a real server.

/** util-linux `script` runs a command on a real pseudo-terminal, as a user's shell would. */
const hasScript = spawnSync('script', ['--version']).status === 0;

/** Runs the CLI on a terminal and types `answer` once it asks `[y/N]`. */
function answerOnTerminal(args: string, env: Record<string, string>, answer: string): Promise<CliResult> {
  const child = spawn('script', ['-qec', `"${process.execPath}" "${BIN}" ${args}`, '/dev/null'], { env });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (out.includes('[y/N]') && child.stdin.writable) child.stdin.end(`${answer}\n`);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: out, stderr: '' });
    }),
  );
}

const ok = (result: CliResult): CliResult => {
  assert.equal(result.code, 0, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
};

describe('hooklane keys (publishable) and portal', () => {
  let server: TestServer;
  let account: { id: string; adminKey: string };
  let env: Record<string, string>;

  before(async () => {
    server = await startTestServer();
    account = await server.account();
    // No HOOKLANE_ACCOUNT: the admin key's account is inferred.
    env = cliEnv({ HOOKLANE_URL: server.url, HOOKLANE_KEY: account.adminKey });
  });
  after(() => server.close());

  it('keys create --role publishable takes origins, events and a rate limit', async () => {
    const created = json(
      ok(
        await runCli(
          [
            'keys',
            'create',
            '--role',
            'publishable',
            '--name',
            'web app',
            '--origin',
            'https://app.example.com',
            '--origin',
            'http://localhost:5173',
            '--events',
            'flow_completed,trigger:onboarding_finished',
            '--rate-limit',
            '{"per_client": {"per_second": 5, "burst": 40}}',
            '--json',
          ],
          env,
        ),
      ),
    );
    assert.match(created.key, /^hlp_/);
    assert.equal(created.role, 'publishable');
    assert.deepEqual(created.origins, ['https://app.example.com', 'http://localhost:5173']);
    assert.deepEqual(created.events, ['flow_completed', 'trigger:onboarding_finished']);
    assert.deepEqual(created.rate_limit, {
      per_key: { per_second: 50, burst: 100 },
      per_client: { per_second: 5, burst: 40 },
    });

    const plain = ok(
      await runCli(['keys', 'create', '--role', 'publishable', '--origin', 'https://app.example.com'], env),
    );
    assert.match(plain.stdout, /^origins\s+https:\/\/app\.example\.com$/m);
    assert.match(plain.stdout, /^events\s+the catalog's types$/m);
    assert.match(plain.stdout, /^per client\s+2\/s, burst 20$/m);
    assert.match(plain.stdout, /^key\s+hlp_\S+$/m);
  });

  it('keys create refuses a publishable key without origins, and origins on another role', async () => {
    const before = json(ok(await runCli(['keys', 'list', '--json'], env))).data.length;
    const noOrigin = await runCli(['keys', 'create', '--role', 'publishable'], env);
    assert.equal(noOrigin.code, 1, noOrigin.stderr);
    assert.match(noOrigin.stderr, /validation_failed/);
    const admin = await runCli(['keys', 'create', '--role', 'admin', '--origin', 'https://a.example'], env);
    assert.equal(admin.code, 1, admin.stderr);
    assert.match(admin.stderr, /publishable keys only/);
    const badJson = await runCli(
      ['keys', 'create', '--role', 'publishable', '--origin', 'https://a.example', '--rate-limit', '{'],
      env,
    );
    assert.equal(badJson.code, 2, badJson.stderr);
    assert.match(badJson.stderr, /expected JSON/);
    assert.equal(json(ok(await runCli(['keys', 'list', '--json'], env))).data.length, before, 'no key made');
  });

  it("keys update changes a publishable key's settings and refuses other keys", async () => {
    const key = json(
      ok(
        await runCli(
          ['keys', 'create', '--role', 'publishable', '--origin', 'https://a.example', '--json'],
          env,
        ),
      ),
    );
    const updated = json(
      ok(
        await runCli(
          [
            'keys',
            'update',
            key.id,
            '--origin',
            'https://b.example',
            '--origin',
            'https://c.example',
            '--events',
            '*',
            '--rate-limit',
            '{"per_key": {"per_second": 10, "burst": 20}}',
            '--json',
          ],
          env,
        ),
      ),
    );
    assert.deepEqual(updated.origins, ['https://b.example', 'https://c.example']);
    assert.deepEqual(updated.events, ['*']);
    assert.deepEqual(updated.rate_limit.per_key, { per_second: 10, burst: 20 });
    assert.deepEqual(updated.rate_limit.per_client, { per_second: 2, burst: 20 }, 'left as it was');

    const reset = ok(await runCli(['keys', 'update', key.id, '--catalog-events'], env));
    assert.match(reset.stdout, /^events\s+the catalog's types$/m);
    assert.match(reset.stdout, /^origins\s+https:\/\/b\.example, https:\/\/c\.example$/m);

    const nothing = await runCli(['keys', 'update', key.id], env);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /nothing to change/);
    const admin = json(ok(await runCli(['keys', 'create', '--role', 'admin', '--json'], env)));
    const refused = await runCli(['keys', 'update', admin.id, '--origin', 'https://a.example'], env);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /^hooklane: conflict: /m);
  });

  it('portal create prints the link; --json the whole answer; bad capabilities and ttl are refused', async () => {
    const plain = ok(
      await runCli(
        ['portal', 'create', '--capabilities', 'read,retry', '--ttl', '30m', '--name', 'Acme'],
        env,
      ),
    );
    const url = plain.stdout.trim();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/portal#token=hls_\S+$/, 'only the link on stdout');
    assert.match(plain.stderr, /ps_\S+ \(read, retry\) works until /);
    const token = decodeURIComponent(url.slice(url.indexOf('#token=') + '#token='.length));
    const current = await server.api('GET', '/v1/portal-session', { key: token });
    assert.equal(current.status, 200);
    assert.deepEqual(current.body.capabilities, ['read', 'retry']);
    assert.equal(current.body.name, 'Acme');
    const lasts = Date.parse(current.body.expires_at) - Date.now();
    assert.ok(lasts > 25 * 60_000 && lasts <= 30 * 60_000, `expires in ${lasts} ms`);

    const session = json(ok(await runCli(['portal', 'create', '--capabilities', 'read', '--json'], env)));
    assert.deepEqual(Object.keys(session).sort(), [
      'capabilities',
      'expires_at',
      'id',
      'name',
      'token',
      'url',
    ]);
    assert.match(session.token, /^hls_/);

    const unknown = await runCli(['portal', 'create', '--capabilities', 'read,fly'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown fly; choose from read, manage_webhooks, read_secrets, retry/);
    const tooLong = await runCli(['portal', 'create', '--capabilities', 'read', '--ttl', '8d'], env);
    assert.equal(tooLong.code, 1, tooLong.stderr);
    assert.match(tooLong.stderr, /validation_failed: .*at most 7d/);
  });

  it('portal revoke refuses without --yes when it cannot ask, and revokes every session with it', async () => {
    const session = json(ok(await runCli(['portal', 'create', '--capabilities', 'read', '--json'], env)));
    const works = async () => (await server.api('GET', '/v1/portal-session', { key: session.token })).status;
    assert.equal(await works(), 200);

    const refused = await runCli(['portal', 'revoke'], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /Pass --yes to confirm: there is no terminal to ask on/);
    assert.equal(await works(), 200, 'nothing revoked');

    const revoked = ok(await runCli(['portal', 'revoke', '--yes'], env));
    assert.equal(revoked.stdout, `Revoked every portal session of ${account.id}.\n`);
    assert.equal(await works(), 401);
  });

  it('portal revoke asks on a terminal: "n" changes nothing, "y" revokes', { skip: !hasScript }, async () => {
    const session = json(ok(await runCli(['portal', 'create', '--capabilities', 'read', '--json'], env)));
    const works = async () => (await server.api('GET', '/v1/portal-session', { key: session.token })).status;

    const declined = await answerOnTerminal('portal revoke', env, 'n');
    assert.equal(declined.code, 2, declined.stdout);
    assert.match(declined.stdout, new RegExp(`Revoke every portal session of ${account.id}\\? .*\\[y/N\\]`));
    assert.match(declined.stdout, /cancelled: nothing was changed/);
    assert.equal(await works(), 200, 'nothing revoked');

    const confirmed = await answerOnTerminal('portal revoke', env, 'y');
    assert.equal(confirmed.code, 0, confirmed.stdout);
    assert.match(confirmed.stdout, /Revoked every portal session of /);
    assert.equal(await works(), 401);
  });
});
