import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real binary, run as users run it: `node bin/hooklane.js ...`. */
export const BIN = fileURLToPath(new URL('../../bin/hooklane.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The temporary homes cliEnv made, removed when the test process exits. */
const homes: string[] = [];
const removeHomes = () => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
};

/** A clean environment: nothing of the developer's HOOKLANE_* settings or ~/.config leaks in. */
export function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'hooklane-cli-home-'));
  if (homes.push(home) === 1) process.once('exit', removeHomes);
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    HOOKLANE_CONFIG_DIR: join(home, 'config'),
    ...extra,
  };
}

export interface RunningCli {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<CliResult>;
  /** Resolves with the match once stdout or stderr (as named) matches, or rejects after `timeoutMs`. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

/** Starts the CLI without waiting for it; stdin gets `input` (or is closed at once). */
export function spawnCli(args: readonly string[], env: Record<string, string>, input?: string): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  child.stdin?.end(input);
  const exited = new Promise<CliResult>((resolve) => {
    child.once('close', (code) => resolve({ code, stdout: out, stderr: err }));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(stream, pattern, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(stream === 'stdout' ? out : err);
          if (match) return resolve(match);
          if (child.exitCode !== null || Date.now() > deadline) {
            return reject(
              new Error(
                `no ${pattern} on ${stream} (exit ${child.exitCode}); stdout: ${out}\nstderr: ${err}`,
              ),
            );
          }
          setTimeout(check, 20);
        };
        check();
      });
    },
  };
}

/** Runs the CLI to its end (killing it after `timeoutMs`). */
export async function runCli(
  args: readonly string[],
  env: Record<string, string>,
  options: { input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const running = spawnCli(args, env, options.input);
  const timer = setTimeout(() => running.child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  try {
    return await running.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Parses stdout as JSON, with the whole result in the failure message. */
export function json<T = any>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}): ${result.stdout}\nstderr: ${result.stderr}`);
  }
}
