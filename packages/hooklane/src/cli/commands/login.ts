import type { Command } from 'commander';
import { ApiClient, ApiError, UsageError } from '../api-client.ts';
import type { CliContext } from '../main.ts';
import { printJson, printLine, printNote } from '../output.ts';
import { DEFAULT_PROFILE, DEFAULT_URL, namedProfile, saveProfile } from '../profiles.ts';

/** `hooklane login`: saves a server URL, key and account as a profile, after checking them. */
export function registerLogin(program: Command, ctx: CliContext): void {
  program
    .command('login')
    .description('Save a server URL, API key and account as a profile (checked against the server first)')
    .option('--no-verify', 'save without contacting the server')
    .addHelpText(
      'after',
      `
The profile is saved under --profile (default "default") in $HOOKLANE_CONFIG_DIR/profiles.json
(else ~/.config/hooklane/profiles.json), readable by you only (mode 0600). Later commands use
the "default" profile, or the one named by --profile / HOOKLANE_PROFILE.

Examples:
  $ hooklane login --url https://hooks.example.com --key hlk_... --account acc_...
  $ hooklane login --profile local --url http://127.0.0.1:8080 --key hlr_...
  $ hooklane --profile local accounts create "Acme"`,
    )
    .action(async (options: { verify: boolean }, command: Command) => {
      const globals = ctx.globals(command);
      const name = namedProfile(globals, ctx.env) ?? DEFAULT_PROFILE;
      const url = globals.url ?? ctx.env.HOOKLANE_URL ?? DEFAULT_URL;
      const key = globals.key ?? ctx.env.HOOKLANE_KEY;
      const account = globals.account ?? ctx.env.HOOKLANE_ACCOUNT;
      if (!key) throw new UsageError('login needs --key (or HOOKLANE_KEY)');
      const client = new ApiClient({ url, key, account: account ?? null });
      if (options.verify) {
        // The API decides 401 before anything else, so reading the account (or, without one, an
        // account that does not exist: 404) proves the key. An ingest key may not read it (403).
        try {
          await client.request('GET', account ? client.accountPath() : '/v1/accounts/acc_0');
        } catch (error) {
          const authenticated =
            error instanceof ApiError && (error.status === 403 || (!account && error.status === 404));
          if (!authenticated) throw error;
        }
      }
      const path = saveProfile(ctx.env, name, { url: client.baseUrl, key, ...(account ? { account } : {}) });
      if (globals.json) printJson({ profile: name, url: client.baseUrl, account: account ?? null, path });
      else
        printLine(
          `Saved profile "${name}" (${client.baseUrl}${account ? `, account ${account}` : ''}) to ${path}`,
        );
      if (!account && !globals.json)
        printNote('No account saved: pass --account to account-scoped commands.');
    });
}
