import type { Command } from 'commander';
import { CliError, EXIT, UsageError } from '../api-client.ts';
import type { CliContext } from '../main.ts';
import { plural, printJson, printLine } from '../output.ts';

/** `hooklane migrate`: applies the store's pending migrations, with the server's configuration. */
export function registerMigrate(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description('Apply pending database migrations to the configured store, then exit')
    .option('--data-dir <dir>', 'embedded store directory (env HOOKLANE_DATA_DIR; default ./.hooklane)')
    .addHelpText(
      'after',
      `
Reads the same environment as the server (HOOKLANE_DATA_DIR, DATABASE_URL). The server also
migrates at start; run this to migrate ahead of a deploy. The embedded store must not be in
use by a running server (exit 2 if it is).

Examples:
  $ hooklane migrate
  $ HOOKLANE_DATA_DIR=/var/lib/hooklane hooklane migrate --json`,
    )
    .action(async (options: { dataDir?: string }, command: Command) => {
      const env = { ...ctx.env };
      if (options.dataDir !== undefined) env.HOOKLANE_DATA_DIR = options.dataDir;
      // Imported here so that the other commands do not load the store.
      const { ConfigError, loadConfig } = await import('../../config.ts');
      const { openStore, sqliteFile } = await import('../../main.ts');
      const { migrateSqlite } = await import('../../store/sqlite/migrate.ts');
      const { openDatabase } = await import('../../store/sqlite/connection.ts');

      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig(env);
      } catch (error) {
        if (error instanceof ConfigError) throw new UsageError(error.message);
        throw error;
      }
      let applied: number;
      let where: string;
      if (config.databaseUrl === null) {
        where = sqliteFile(config);
        // Opened directly rather than through SqliteStore, which migrates as it opens: this counts.
        let db: ReturnType<typeof openDatabase>;
        try {
          db = openDatabase(where);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
        try {
          applied = migrateSqlite(db);
        } catch (error) {
          throw new CliError(`migration failed: ${(error as Error).message}`, EXIT.failed);
        } finally {
          db.close();
        }
      } else {
        const url = new URL(config.databaseUrl);
        where = `PostgreSQL ${url.host}${url.pathname}`;
        let store: Awaited<ReturnType<typeof openStore>>;
        try {
          store = await openStore(config, { migrate: false });
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
        try {
          applied = await store.migrate();
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? '';
          const exitCode = /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ECONNRESET)$/.test(code)
            ? EXIT.unreachable
            : EXIT.failed;
          throw new CliError(`migration failed: ${(error as Error).message || code}`, exitCode);
        } finally {
          await store.close();
        }
      }
      if (ctx.globals(command).json) printJson({ applied, database: where });
      else if (applied === 0) printLine(`No pending migrations: ${where} is up to date.`);
      else printLine(`Applied ${plural(applied, 'migration')} to ${where}.`);
    });
}
