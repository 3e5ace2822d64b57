import type { Command } from 'commander';
import { CliError, EXIT, UsageError } from '../api-client.ts';
import type { CliContext } from '../main.ts';
import { plural, printJson, printLine } from '../output.ts';
import { databaseFailure, heldByServer, serverConfig, storeName } from '../server-store.ts';

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
migrates at start; run this to migrate ahead of a deploy. When a running server holds the
embedded store, it migrated the store as it started: migrate says so and changes nothing.

Examples:
  $ hooklane migrate
  $ HOOKLANE_DATA_DIR=/var/lib/hooklane hooklane migrate --json`,
    )
    .action(async (options: { dataDir?: string }, command: Command) => {
      const config = await serverConfig(ctx.env, options.dataDir);
      const where = await storeName(config);
      const json = ctx.globals(command).json;
      // Imported here so that the other commands do not load the store.
      const { openStore } = await import('../../main.ts');
      const { migrateSqlite } = await import('../../store/sqlite/migrate.ts');
      const { openDatabase } = await import('../../store/sqlite/connection.ts');

      let applied: number;
      if (config.databaseUrl === null) {
        // Opened directly rather than through SqliteStore, which migrates as it opens: this counts.
        let db: ReturnType<typeof openDatabase>;
        try {
          db = openDatabase(where);
        } catch (error) {
          if (!(await heldByServer(error))) throw new UsageError((error as Error).message);
          if (json) return printJson({ applied: 0, database: where, in_use: true });
          return printLine(
            `A running Hooklane server is using ${where}: it applied the migrations when it started. Nothing to do.`,
          );
        }
        try {
          applied = migrateSqlite(db);
        } catch (error) {
          throw new CliError(`migration failed: ${(error as Error).message}`, EXIT.failed);
        } finally {
          db.close();
        }
      } else {
        let store: Awaited<ReturnType<typeof openStore>>;
        try {
          store = await openStore(config, { migrate: false });
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
        try {
          applied = await store.migrate();
        } catch (error) {
          throw databaseFailure('migration failed', error);
        } finally {
          await store.close();
        }
      }
      if (json) printJson({ applied, database: where });
      else if (applied === 0) printLine(`No pending migrations: ${where} is up to date.`);
      else printLine(`Applied ${plural(applied, 'migration')} to ${where}.`);
    });
}
