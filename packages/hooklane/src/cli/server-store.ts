/**
 * What the commands that work on the server's own data (`migrate`, `root-key rotate`) share:
 * the server's configuration, read from the same environment, and how they report a store
 * they cannot use. The store modules are imported only when one of these commands runs.
 */
import type { Config } from '../config.ts';
import { CliError, EXIT, UsageError } from './api-client.ts';

/** The server's configuration from `env`, `--data-dir` overriding HOOKLANE_DATA_DIR; exit 2 if invalid. */
export async function serverConfig(env: NodeJS.ProcessEnv, dataDir: string | undefined): Promise<Config> {
  const { ConfigError, loadConfig } = await import('../config.ts');
  try {
    // Relative paths mean where the user typed the command, as for the server (src/start.ts).
    const cwd = env.INIT_CWD ?? process.cwd();
    return loadConfig(dataDir === undefined ? env : { ...env, HOOKLANE_DATA_DIR: dataDir }, cwd);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** The store as a person would name it: the SQLite file, or PostgreSQL's host and database. */
export async function storeName(config: Config): Promise<string> {
  if (config.databaseUrl === null) return (await import('../main.ts')).sqliteFile(config);
  const url = new URL(config.databaseUrl);
  return `PostgreSQL ${url.host}${url.pathname}`;
}

/**
 * Whether `error` says that a running Hooklane process holds the embedded store: its SQLite
 * file is locked exclusively for the life of the process, and the OS releases the lock when
 * the process ends, however it ends, so this never mistakes a crashed server for a running one.
 */
export async function heldByServer(error: unknown): Promise<boolean> {
  const { DataDirLockedError } = await import('../store/sqlite/connection.ts');
  return error instanceof DataDirLockedError;
}

/** A database operation that failed: exit 3 when the database could not be reached, else 1. */
export function databaseFailure(what: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const exitCode = /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ECONNRESET|ERR_STORE_UNAVAILABLE)$/.test(
    code,
  )
    ? EXIT.unreachable
    : EXIT.failed;
  return new CliError(`${what}: ${(error as Error).message || code}`, exitCode);
}
