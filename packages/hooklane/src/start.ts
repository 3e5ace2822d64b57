import { flushCompileCache } from 'node:module';
import { ConfigError, loadConfig } from './config.ts';
import { startHooklane } from './main.ts';
import { DataDirLockedError } from './store/sqlite/open-database.ts';

/** `npm start` / `hooklane start`: one process from the environment, stopped cleanly by SIGTERM or SIGINT. */
export async function runServer(env: NodeJS.ProcessEnv = process.env): Promise<void> {
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
