import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ApiClient, CliError, UsageError } from '../api-client.ts';
import type { CliContext } from '../main.ts';
import { printNote } from '../output.ts';
import { readProfiles, resolveConnection, saveProfile } from '../profiles.ts';
import { databaseFailure, heldByServer, serverConfig, storeName } from '../server-store.ts';

/** Saves `key` in every profile that held `replaced` (now refused), and says which. */
function updateProfiles(ctx: CliContext, replaced: (key: string) => boolean, key: string): void {
  for (const [name, profile] of Object.entries(readProfiles(ctx.env).profiles)) {
    if (!replaced(profile.key)) continue;
    saveProfile(ctx.env, name, { ...profile, key });
    printNote(`Saved the new key in profile "${name}", which held the old one.`);
  }
}

/** On the machine that owns the data: the store the server's environment names. */
async function rotateInStore(ctx: CliContext, dataDir: string | undefined): Promise<string> {
  const config = await serverConfig(ctx.env, dataDir);
  if (config.rootKey !== null) {
    throw new UsageError(
      'the root key is set by the environment (HOOKLANE_ROOT_KEY): change it there and restart the server',
    );
  }
  const where = await storeName(config);
  // Imported here so that the other commands do not load the store.
  const { openStore } = await import('../../main.ts');
  const { rotateRootKey } = await import('../../services/auth.ts');
  const { hashApiKey } = await import('../../core/secrets.ts');
  if (config.databaseUrl === null && !existsSync(where)) {
    throw new UsageError(
      `no Hooklane store in ${config.dataDir}: start the server there once, or point --data-dir (HOOKLANE_DATA_DIR) at its data`,
    );
  }
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    store = await openStore(config, { migrate: false });
  } catch (error) {
    if (await heldByServer(error)) {
      throw new UsageError(
        `a running Hooklane server is using ${config.dataDir}; stop it first, or rotate through it: ` +
          'hooklane root-key rotate --url <its URL> --key <the current root key>',
      );
    }
    throw databaseFailure('cannot open the store', error);
  }
  try {
    // Profiles holding the current root key, found by its hash before it is replaced.
    const holders = new Set<string>();
    for (const profile of Object.values(readProfiles(ctx.env).profiles)) {
      const found = await store.findApiKeyByHash(hashApiKey(profile.key));
      if (found?.role === 'root') holders.add(profile.key);
    }
    const key = await rotateRootKey(store, null, Date.now());
    printNote(`New root key for ${where}; the old one no longer works. It is shown once: store it now.`);
    updateProfiles(ctx, (saved) => holders.has(saved), key);
    return key;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw databaseFailure('rotation failed', error);
  } finally {
    await store.close();
  }
}

/** `hooklane root-key rotate`: a new root key, on the machine that owns the data or through a server. */
export function registerRootKey(program: Command, ctx: CliContext): void {
  const rootKey = program.command('root-key').description('Replace the root key (it manages accounts)');

  rootKey
    .command('rotate')
    .description('Replace the root key: print a new one (shown once); the old one stops working at once')
    .option('--data-dir <dir>', 'embedded store directory (env HOOKLANE_DATA_DIR; default ./.hooklane)')
    .addHelpText(
      'after',
      `
Without --url, --key or --profile it works on the store the server's environment names
(HOOKLANE_DATA_DIR or DATABASE_URL), on the machine that owns the data. The embedded store must
not be in use: while a server holds it, stop the server, or rotate through it with its URL and
the current root key (POST /v1/root-key/rotate). A root key set by HOOKLANE_ROOT_KEY is changed
there instead (exit 2). Only the new key is printed on stdout, and saved profiles that held the
old key get the new one.

Examples:
  $ export ROOT=$(hooklane root-key rotate)
  $ hooklane root-key rotate --data-dir /var/lib/hooklane
  $ hooklane root-key rotate --url https://hooks.example.com --key hlr_...`,
    )
    .action(async (options: { dataDir?: string }, command: Command) => {
      const globals = ctx.globals(command);
      const remote = globals.url !== undefined || globals.key !== undefined || globals.profile !== undefined;
      let key: string;
      if (remote) {
        if (options.dataDir !== undefined) {
          throw new UsageError(
            '--data-dir is for the local store; through a server, give only --url and --key',
          );
        }
        const connection = resolveConnection(globals, ctx.env);
        const client = new ApiClient(connection);
        ({ key } = await client.request<{ key: string }>('POST', '/v1/root-key/rotate'));
        printNote(
          `New root key for ${client.baseUrl}; the old one no longer works. It is shown once: store it now.`,
        );
        updateProfiles(ctx, (saved) => saved === connection.key, key);
      } else {
        key = await rotateInStore(ctx, options.dataDir);
      }
      if (globals.json) process.stdout.write(`${JSON.stringify({ key })}\n`);
      else process.stdout.write(`${key}\n`);
    });
}
