import { type ChildProcess, fork, spawn } from 'node:child_process';

/**
 * Every child process the bench starts, so that all of them are killed when the bench
 * ends for any reason: normal exit, an error, Ctrl-C, or the overall time limit.
 */
const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void>> = [];

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (the end of a scenario: the bench does not measure shutdown). */
  kill(): Promise<void>;
}

function track(child: ChildProcess, name: string): Child {
  if (child.pid === undefined) throw new Error(`${name}: could not start`);
  children.add(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out = (out + chunk).slice(-20_000);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err = (err + chunk).slice(-20_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    process: child,
    pid: child.pid,
    stdout: () => out,
    stderr: () => err,
    exited,
    alive,
    async stop(graceMs = 5_000) {
      if (!alive()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (!alive()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** `node [nodeArgs] <script>` without IPC (how an operator starts Hooklane). */
export function spawnNode(
  script: string,
  env: Record<string, string>,
  name: string,
  nodeArgs: readonly string[] = [],
): Child {
  return track(
    spawn(process.execPath, [...nodeArgs, script], { env, stdio: ['ignore', 'pipe', 'pipe'] }),
    name,
  );
}

/** Any program (a store server the bench starts itself), without IPC. */
export function spawnProgram(command: string, args: readonly string[], name: string): Child {
  return track(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }), name);
}

/** `node <script>` with an IPC channel; the child exits when the channel closes. */
export function forkNode(
  script: string,
  env: Record<string, string>,
  name: string,
  args: string[] = [],
): Child {
  return track(fork(script, args, { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }), name);
}

/** Resolves with the first match of `pattern` on the child's stdout; rejects on exit or after `timeoutMs`. */
export function waitForLine(
  child: Child,
  pattern: RegExp,
  name: string,
  timeoutMs = 30_000,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(child.stdout());
      if (match) {
        done();
        resolve(match);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${name} did not print ${pattern} within ${timeoutMs} ms; stderr: ${child.stderr()}`));
    }, timeoutMs);
    const onExit = (code: number | null, signal: string | null) => {
      done();
      reject(new Error(`${name} exited (${code ?? signal}) before starting; stderr: ${child.stderr()}`));
    };
    const done = () => {
      clearTimeout(timer);
      child.process.stdout?.off('data', check);
      child.process.off('exit', onExit);
    };
    child.process.stdout?.on('data', check);
    child.process.once('exit', onExit);
    check();
  });
}

/** Async clean-up (dropping databases, removing temp dirs) run before the bench exits. */
export function onCleanup(cleanup: () => Promise<void>): () => void {
  cleanups.push(cleanup);
  return () => {
    const index = cleanups.indexOf(cleanup);
    if (index >= 0) cleanups.splice(index, 1);
  };
}

export function killAll(): void {
  for (const child of children) child.kill('SIGKILL');
}

let shuttingDown: Promise<void> | null = null;

/** Kills every child, runs the clean-ups (bounded), then exits. */
export function shutdown(code: number): Promise<void> {
  shuttingDown ??= (async () => {
    killAll();
    const all = Promise.allSettled(cleanups.splice(0).map((cleanup) => cleanup()));
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    process.exit(code);
  })();
  return shuttingDown;
}

/** Installs the handlers that make sure no child outlives the bench. */
export function installExitHandlers(): void {
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping every child process\n`);
      void shutdown(130);
    });
  }
  process.on('uncaughtException', (error) => {
    process.stderr.write(`bench: uncaught ${error.stack ?? error}\n`);
    void shutdown(1);
  });
  process.on('unhandledRejection', (error) => {
    process.stderr.write(`bench: unhandled rejection ${(error as Error)?.stack ?? error}\n`);
    void shutdown(1);
  });
}
