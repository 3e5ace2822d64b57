import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The published packages work as a user gets them: `npm pack` of the server and of the receiver
 * library (which builds them to JavaScript), `npm install` of the two tarballs into an empty
 * directory, then `npx hooklane` there: `--help`, `start`, one API call. Node does not strip
 * types under node_modules, so this fails if anything the installed package runs is TypeScript,
 * or if a file it reads at run time (the SQL migrations) is not shipped where the build looks.
 */

const PACKAGES = fileURLToPath(new URL('../../../', import.meta.url));
const PACK_TIMEOUT_MS = 120_000;
const INSTALL_TIMEOUT_MS = 300_000;

/** npm and the scripts it runs use this Node, whatever else is on PATH; no npm_* of an outer npm leaks in. */
function npmEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.toLowerCase().startsWith('npm_')) env[name] = value;
  }
  return { ...env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, ...extra };
}

function run(command: string, args: string[], cwd: string, timeout: number) {
  const result = spawnSync(command, args, { cwd, env: npmEnv(), encoding: 'utf8', timeout });
  const output = `${command} ${args.join(' ')} in ${cwd}: ${result.error ?? `exit ${result.status}`}\n${result.stdout}\n${result.stderr}`;
  return { ...result, output };
}

/** Packs one workspace package into `into`; returns the tarball's path and the files it holds. */
function pack(name: string, into: string): { tarball: string; files: string[] } {
  const packed = run(
    'npm',
    ['pack', '--json', '--pack-destination', into],
    join(PACKAGES, name),
    PACK_TIMEOUT_MS,
  );
  assert.equal(packed.status, 0, packed.output);
  // The prepack scripts print their own output before npm's JSON.
  const [entry] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('\n[') + 1)) as {
    filename: string;
    files: { path: string }[];
  }[];
  return { tarball: join(into, entry!.filename), files: entry!.files.map((file) => file.path) };
}

/** Waits for `pattern` on the child's stdout; fails with its output if it exits or `timeoutMs` passes. */
function waitForOutput(child: ChildProcess, output: () => string, pattern: RegExp, timeoutMs: number) {
  return new Promise<RegExpExecArray>((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(output());
      if (match) done(() => resolve(match));
    };
    const onExit = () => done(() => reject(new Error(`exited before printing ${pattern}:\n${output()}`)));
    const timer = setTimeout(
      () => done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output()}`))),
      timeoutMs,
    );
    const done = (settle: () => void) => {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.off('exit', onExit);
      settle();
    };
    child.stdout?.on('data', check);
    child.once('exit', onExit);
    check();
  });
}

/** Whether every process of the group `pgid` has exited within `timeoutMs`. */
async function groupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return true;
    }
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the published packages', () => {
  it('install from their tarballs with npm, and npx hooklane starts a server that answers', {
    timeout: 720_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooklane-pack-'));
    let server: ChildProcess | undefined;
    try {
      const receiver = pack('receiver', dir);
      const hooklane = pack('hooklane', dir);
      for (const file of hooklane.files) {
        assert.match(
          file,
          /^(bin|dist)\/|^package\.json$|^README\.md$/,
          `the hooklane package ships ${file}`,
        );
      }
      assert.ok(hooklane.files.includes('dist/cli/main.js'));
      assert.ok(hooklane.files.some((file) => /^dist\/store\/sqlite\/migrations\/.+\.sql$/.test(file)));
      assert.deepEqual(
        receiver.files.filter((file) => !/^dist\/|^package\.json$|^README\.md$/.test(file)),
        [],
        'the receiver package ships only its build, manifest and README',
      );

      const app = join(dir, 'app');
      mkdirSync(app);
      const installed = run(
        'npm',
        ['install', '--no-audit', '--no-fund', receiver.tarball, hooklane.tarball],
        app,
        INSTALL_TIMEOUT_MS,
      );
      assert.equal(installed.status, 0, installed.output);
      assert.equal(existsSync(join(app, 'node_modules/hooklane/src')), false);

      const help = run('npx', ['--no-install', 'hooklane', '--help'], app, 60_000);
      assert.equal(help.status, 0, help.output);
      assert.match(help.stdout, /Usage: hooklane/);

      const library = run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "const m = await import('@hooklane/receiver'); console.log(typeof m.verify);",
        ],
        app,
        30_000,
      );
      assert.equal(library.stdout.trim(), 'function', library.output);

      server = spawn('npx', ['--no-install', 'hooklane', 'start'], {
        cwd: app,
        env: npmEnv({
          HOST: '127.0.0.1',
          PORT: '0',
          HOOKLANE_DATA_DIR: join(dir, 'data'),
          LOG_LEVEL: 'warn',
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group: npx runs the server as its child, and a failure must end both.
        detached: true,
      });
      let output = '';
      server.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
      });
      server.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
      });
      const exited = new Promise<void>((resolve) => server!.once('exit', () => resolve()));
      const [, url] = await waitForOutput(server, () => output, /Hooklane listening on (\S+)/, 60_000);
      const [, rootKey] = await waitForOutput(server, () => output, /Root key[^:]*: (hlr_\S+)/, 5_000);

      const response = await fetch(`${url}/v1/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${rootKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Installed from a tarball' }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await response.json()) as { id: string };
      assert.equal(response.status, 201, JSON.stringify(body));
      assert.match(body.id, /^acc_/);

      // npx does not pass SIGTERM on to the server it runs: signal the group, as a terminal would.
      process.kill(-server.pid!, 'SIGTERM');
      await exited;
      assert.ok(await groupGone(server.pid!, 15_000), `the server did not stop on SIGTERM:\n${output}`);
    } finally {
      try {
        if (server?.pid !== undefined) process.kill(-server.pid, 'SIGKILL');
      } catch {
        // The group has already exited.
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
