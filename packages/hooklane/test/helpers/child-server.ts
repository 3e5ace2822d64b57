import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type ApiResponse, callApi } from './hooklane.ts';

/** The entry `npm start` runs: it turns on the compile cache, then runs src/start.ts. */
const SERVER_BIN = fileURLToPath(new URL('../../bin/hooklane-server.js', import.meta.url));

/** How a child process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A Hooklane server running as a separate process, started as `npm start` starts it. */
export interface ChildServer {
  readonly url: string;
  readonly rootKey: string;
  readonly process: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves when the process has ended (at once if it already has). */
  readonly exited: Promise<Exit>;
  api<T = any>(
    method: string,
    path: string,
    options?: { key?: string | null; body?: unknown },
  ): Promise<ApiResponse<T>>;
  /** Sends `signal` and waits for the exit, failing after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

/** The environment of a test child: loopback targets allowed, quiet logs, a free port. */
export function childEnv(
  dataDir: string,
  rootKey: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    HOST: '127.0.0.1',
    PORT: '0',
    HOOKLANE_DATA_DIR: dataDir,
    HOOKLANE_ROOT_KEY: rootKey,
    HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'true',
    HOOKLANE_RETRY_SCHEDULE: '200ms,500ms,1s,1s,1s',
    HOOKLANE_RETRY_JITTER: '0',
    HOOKLANE_POLL_INTERVAL: '50ms',
    HOOKLANE_SHUTDOWN_GRACE: '2s',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Spawns `node [nodeArgs] bin/hooklane-server.js` without waiting for anything. */
export function spawnServer(
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): {
  child: ChildProcess;
  exited: Promise<Exit>;
  stdout: () => string;
  stderr: () => string;
} {
  const child = spawn(process.execPath, [...nodeArgs, SERVER_BIN], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, exited, stdout: () => out, stderr: () => err };
}

/**
 * Starts a Hooklane child process and waits (at most `timeoutMs`) for the
 * `Hooklane listening on <url>` line it prints on stdout.
 */
export async function startChildServer(
  dataDir: string,
  options: {
    rootKey?: string;
    env?: Record<string, string>;
    timeoutMs?: number;
    nodeArgs?: readonly string[];
  } = {},
): Promise<ChildServer> {
  const rootKey = options.rootKey ?? `hlr_test_${randomBytes(16).toString('hex')}`;
  const spawned = spawnServer(childEnv(dataDir, rootKey, options.env), options.nodeArgs);
  const { child, exited } = spawned;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const [, url = ''] = await waitForLine(spawned, /Hooklane listening on (\S+)/, 'server', timeoutMs);

  const api: ChildServer['api'] = (method, path, opts = {}) =>
    callApi(url, rootKey, method, path, { ...opts, timeoutMs: 10_000 });

  return {
    url,
    rootKey,
    process: child,
    stdout: spawned.stdout,
    stderr: spawned.stderr,
    exited,
    api,
    async stop(signal = 'SIGTERM', stopTimeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`server did not exit within ${stopTimeoutMs} ms of ${signal}`));
        }, stopTimeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** A Hooklane worker (`HOOKLANE_ROLE=worker`) running as a separate process: no HTTP API. */
export interface ChildWorker {
  readonly pid: number;
  readonly process: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<Exit>;
  readonly alive: () => boolean;
}

/**
 * Starts the server with `HOOKLANE_ROLE=worker` and waits (at most `timeoutMs`)
 * for the `Hooklane worker running (pid N)` line it prints on stdout.
 */
export async function startChildWorker(
  dataDir: string,
  options: { rootKey?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ChildWorker> {
  const rootKey = options.rootKey ?? `hlr_test_${randomBytes(16).toString('hex')}`;
  const spawned = spawnServer(childEnv(dataDir, rootKey, { ...options.env, HOOKLANE_ROLE: 'worker' }));
  const { child, exited } = spawned;
  const timeoutMs = options.timeoutMs ?? 15_000;
  await waitForLine(spawned, /Hooklane worker running/, 'worker', timeoutMs);
  return {
    pid: child.pid ?? 0,
    process: child,
    stdout: spawned.stdout,
    stderr: spawned.stderr,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}

/**
 * Resolves with the match once the child's stdout shows `pattern`; kills it and rejects
 * (with its stderr) when it exits first or `timeoutMs` passes.
 */
function waitForLine(
  spawned: ReturnType<typeof spawnServer>,
  pattern: RegExp,
  what: string,
  timeoutMs: number,
): Promise<RegExpExecArray> {
  const { child } = spawned;
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(spawned.stdout());
      if (match) {
        cleanup();
        resolve(match);
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`${what} did not start within ${timeoutMs} ms; stderr: ${spawned.stderr()}`));
    }, timeoutMs);
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`${what} exited (${code ?? signal}) before starting; stderr: ${spawned.stderr()}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', check);
    child.once('exit', onExit);
    check();
  });
}
