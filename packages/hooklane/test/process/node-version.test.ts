import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * Every entry point a user runs checks the Node version before it loads anything that needs a
 * newer one: below the engines field it names the version needed and where to get it, and exits
 * 2 (Node 20 used to crash `npm start` with "module.enableCompileCache is not a function").
 * The test runs them with a real older Node when the machine has one (Debian's and Ubuntu's
 * packaged Node is often older); otherwise with this Node made to report an older version.
 */

const PACKAGE = fileURLToPath(new URL('../../', import.meta.url));
const ROOT = join(PACKAGE, '../..');
const [, neededMajor = '', neededMinor = ''] =
  /^>=(\d+)\.(\d+)/.exec(JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')).engines.node) ?? [];

function isOlderThanNeeded(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major < Number(neededMajor) || (major === Number(neededMajor) && minor < Number(neededMinor));
}

/** The first `node` on PATH (or in the usual system places) older than the engines field, if any. */
function findOlderNode(): { path: string; version: string } | null {
  const self = realpathSync(process.execPath);
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    const path = join(dir, 'node');
    if (!dir || !existsSync(path) || realpathSync(path) === self) continue;
    const version = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).stdout?.trim();
    if (version && isOlderThanNeeded(version)) return { path, version };
  }
  return null;
}

const older = findOlderNode();
/** Loaded with --import when no older Node exists: this Node then reports 20.0.0. */
const FAKE_OLD_VERSION = `data:text/javascript,${encodeURIComponent(
  "Object.defineProperty(process.versions, 'node', { value: '20.0.0' });",
)}`;

/**
 * Runs `command args` as on a machine whose `node` is the older one: that Node first on PATH
 * (npm itself and the scripts it runs use it), or this Node with its version faked.
 */
function runOnOldNode(command: string, args: string[], cwd: string) {
  const path = process.env.PATH ?? '';
  const env: Record<string, string> = older
    ? { PATH: `${dirname(older.path)}${delimiter}${path}`, HOME: process.env.HOME ?? '' }
    : {
        PATH: `${dirname(process.execPath)}${delimiter}${path}`,
        HOME: process.env.HOME ?? '',
        NODE_OPTIONS: `--import=${FAKE_OLD_VERSION}`,
      };
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return {
    ...result,
    output: `${command} ${args.join(' ')}: exit ${result.status}\n${result.stdout}\n${result.stderr}`,
  };
}

const MESSAGE = new RegExp(
  `Hooklane needs Node\\.js ${neededMajor}\\.${neededMinor} or newer, and this is Node\\.js ${
    older ? older.version.replace(/^v/, '').replaceAll('.', '\\.') : '20\\.0\\.0'
  }\\. Install the LTS release from https://nodejs\\.org or with a version manager`,
);

describe(`on Node ${older ? `${older.version} (${older.path})` : '20.0.0 (faked)'}, older than the engines field`, () => {
  it('the hooklane command and the server entry say which Node they need, and exit 2', () => {
    for (const bin of ['bin/hooklane.js', 'bin/hooklane-server.js']) {
      const node = older?.path ?? process.execPath;
      const run = runOnOldNode(node, [join(PACKAGE, bin), '--help'], PACKAGE);
      assert.equal(run.status, 2, run.output);
      assert.match(run.stderr, MESSAGE, run.output);
      assert.doesNotMatch(run.stderr, /TypeError|at .*:\d+:\d+/, run.output);
    }
  });

  it('npm start, npm test and npm run bench say so too, and exit 2', () => {
    for (const script of [['start'], ['test'], ['run', 'bench']]) {
      const run = runOnOldNode('npm', [...script, '--silent'], ROOT);
      assert.equal(run.status, 2, run.output);
      assert.match(run.stderr, MESSAGE, run.output);
    }
  });
});
