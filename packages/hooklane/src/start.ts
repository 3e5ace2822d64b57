import { flushCompileCache } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { ConfigError, loadConfig } from './config.ts';
import { startHooklane } from './main.ts';
import { DataDirLockedError } from './store/sqlite/connection.ts';

/**
 * How far V8 lets the old generation grow past what survived the last full collection, in
 * percent. V8 picks the factor from the heap cap, and under `npm start`'s 160 MB cap it chose
 * ~1.4×: with ~27 MB live under load, a full (mark-compact) collection ran three times a
 * second, ~10% of the process's CPU. 2× costs ~20 MB of peak RSS, ~35 MB with `npm start`'s 8 MB
 * semi-spaces (docs/decisions/heap-flags.md).
 */
const HEAP_GROWING_PERCENT = 100;

/**
 * Sets V8's heap growth (it can change while running: V8 reads it at each full collection;
 * `NODE_OPTIONS` may not carry it) unless the command line already sets it, so an operator's
 * own `node --heap-growing-percent=N` wins.
 */
function tuneHeapGrowth(): void {
  if (process.execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/** `npm start` / `hooklane start`: one process from the environment, stopped cleanly by SIGTERM or SIGINT. */
export async function runServer(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  tuneHeapGrowth();
  let hooklane: Awaited<ReturnType<typeof startHooklane>>;
  try {
    // npm runs workspace scripts in the package folder; relative paths mean where the user typed the command.
    hooklane = await startHooklane(loadConfig(env, env.INIT_CWD ?? process.cwd()));
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DataDirLockedError) {
      process.stderr.write(`hooklane: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  // Handlers before the startup line: a caller may send SIGTERM the moment it reads that line.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    hooklane.logger.info({ signal }, 'shutting down');
    hooklane.close().then(
      () => process.exit(0),
      (error: unknown) => {
        hooklane.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // The compile cache (bin/compile-cache.js) is saved now, not only at exit, so that a process
  // that is killed still leaves it for the next start: ~0.1 s on a first start, ~1 ms after, a
  // no-op when the cache is off. Before the startup line, so that "started" means "saved".
  flushCompileCache();
  if (hooklane.url) {
    process.stdout.write(`Hooklane listening on ${hooklane.url}  (API docs: ${hooklane.url}/docs)\n`);
  } else {
    const operations = hooklane.operationsUrl
      ? `; /healthz, /readyz and /metrics on ${hooklane.operationsUrl}`
      : '';
    process.stdout.write(`Hooklane worker running (pid ${process.pid})${operations}\n`);
  }
  if (hooklane.generatedRootKey) {
    process.stdout.write(
      `Root key (shown once; store it now, or set HOOKLANE_ROOT_KEY): ${hooklane.generatedRootKey}\n`,
    );
  }
}

if (import.meta.main) await runServer();
