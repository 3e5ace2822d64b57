import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { markedShellBlocks, REPO_ROOT, readRepoFile } from './markdown.ts';

/**
 * The README's tour, run as a reader runs it: its `<!-- tour -->` blocks pasted in order into
 * one bash shell at the repository root. The test changes no word of them; it only sets, before
 * them, the variables the tour itself reads (PORT and RECEIVER_PORT, free ports here), the data
 * dir and the retry schedule's later steps, and it stops at the first failing command (`set -e`).
 */

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Whether any process of the group `pgid` is still alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ends every process the shell started (the server and the receiver run in its group). */
async function stopGroup(child: ChildProcess): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined || !groupAlive(pgid)) return;
  process.kill(-pgid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (groupAlive(pgid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
}

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

test('the README tour works when pasted in order into one shell', async () => {
  const blocks = markedShellBlocks(readRepoFile('README.md'), 'tour');
  assert.ok(blocks.length >= 5, `found ${blocks.length} tour blocks`);

  const dataDir = mkdtempSync(join(tmpdir(), 'hooklane-tour-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = {
    // A fresh user: an empty home, this test's Node first on the PATH, nothing else inherited
    // (no DATABASE_URL, no HOOKLANE_* of the developer's).
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    HOME: dataDir,
    HOOKLANE_CONFIG_DIR: join(dataDir, 'config'),
    HOOKLANE_DATA_DIR: join(dataDir, 'data'),
    PORT: String(await freePort()),
    RECEIVER_PORT: String(await freePort()),
    // The tour's first retry comes 5 s after the failed attempt, as by default; the later ones
    // too, so that a machine too loaded to restart the receiver in time retries again in seconds.
    HOOKLANE_RETRY_SCHEDULE: '5s,5s,5s,5s,5s,5s,5s',
  };
  // Its own process group, so that everything it leaves running can be stopped at once.
  const shell = spawn('bash', ['-s'], { cwd: REPO_ROOT, env, detached: true, stdio: 'pipe' });
  cleanups.push(() => stopGroup(shell));
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => shell.once('exit', (code) => resolve(code)));
  const failure = () => `the tour failed\nstdout:\n${out}\nstderr:\n${err}`;
  /** Resolves once `done(stdout)`; rejects when the shell exits first or after `timeoutMs`. */
  const waitFor = async (what: string, done: (stdout: string) => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!done(out)) {
      if (shell.exitCode !== null) assert.fail(`the shell exited (${shell.exitCode}) early; ${failure()}`);
      if (Date.now() > deadline) assert.fail(`no ${what} within ${timeoutMs} ms; ${failure()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  shell.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  shell.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  // One block at a time, each after the one before has finished, as a reader pastes them; after
  // the seed events, the reader looks at the receiver's lines before going on.
  shell.stdin.write('set -euo pipefail\n');
  let cliOutputFrom = -1;
  for (const [index, block] of blocks.entries()) {
    if (block.includes('npx hooklane login')) cliOutputFrom = out.length;
    shell.stdin.write(`${block}\necho "TOUR-BLOCK ${index} DONE"\n`);
    const marker = `TOUR-BLOCK ${index} DONE\n`;
    await waitFor(`end of block ${index + 1}`, (stdout) => stdout.includes(marker), 60_000);
    if (block.includes('appcues-examples.json')) {
      await waitFor('3 verified deliveries', (stdout) => stdout.match(/^verified /gm)?.length === 3, 30_000);
    }
  }
  shell.stdin.end('echo "TOUR-STATE $HL $ACC $KEY"\n');
  assert.equal(await exited, 0, failure());
  assert.doesNotMatch(out, /^refused:/m, failure());
  const verifiedIn = (text: string) =>
    [...text.matchAll(/^verified (\S+) (\S+)$/gm)].map(([, id, name]) => ({ id, name }));

  // The curl tour: the three seed events that match the webhook, then one more sent while the
  // receiver was stopped, shown pending with its failed attempt, and delivered by its retry.
  const [, url, account, key] = /^TOUR-STATE (\S+) (\S+) (\S+)$/m.exec(out) ?? [];
  assert.ok(url && account && key, failure());
  type Delivery = { id: string; status: string; attempt_count: number; next_attempt_at: string | null };
  let deliveries: Delivery[] = [];
  const deadline = Date.now() + 20_000;
  do {
    const response = await fetch(`${url}/v1/accounts/${account}/deliveries`, {
      headers: { authorization: `Bearer ${key}` },
    });
    deliveries = ((await response.json()) as { data: Delivery[] }).data;
    if (deliveries.every((delivery) => delivery.status === 'succeeded')) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  } while (Date.now() < deadline);
  assert.deepEqual(
    deliveries.map((delivery) => delivery.status),
    ['succeeded', 'succeeded', 'succeeded', 'succeeded'],
  );
  assert.ok((deliveries[0]?.attempt_count ?? 0) >= 2, JSON.stringify(deliveries[0]));
  assert.match(out, new RegExp(`"id":"${deliveries[0]?.id}"[^\\n]*"status":"pending"`));
  const tourLines = verifiedIn(cliOutputFrom === -1 ? out : out.slice(0, cliOutputFrom));
  assert.deepEqual(tourLines.map((line) => line.id).sort(), deliveries.map((delivery) => delivery.id).sort());
  assert.deepEqual(tourLines.map((line) => line.name).sort(), [
    'appcues:flow_completed',
    'appcues:flow_completed',
    'appcues:nps_score',
    'appcues:nps_score',
  ]);

  // The testbench block printed a page's URL with a publishable key; the page answers.
  const [, testbench] = /^open (http\S+\/testbench\?account=\S+&key=hlp_\S+)$/m.exec(out) ?? [];
  assert.ok(testbench, `no testbench URL; ${failure()}`);
  const page = await fetch(testbench);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);

  // The CLI section: its webhook delivered both samples it sent, and `listen` forwarded the one
  // sent while it ran, each signed with the secret the receiver checks.
  assert.notEqual(cliOutputFrom, -1, 'the README has no tested CLI block');
  const cliLines = verifiedIn(out.slice(cliOutputFrom));
  assert.deepEqual(cliLines.map((line) => line.name).sort(), [
    'appcues:flow_completed',
    'appcues:nps_score',
    'appcues:nps_score',
  ]);
  assert.match(err, /Ready!/);
});
