import type { Command } from 'commander';
import { ApiClient, UsageError } from '../api-client.ts';
import type { CliContext } from '../main.ts';
import { printJson, printLine, printNote } from '../output.ts';
import { DEFAULT_PROFILE, DEFAULT_URL, namedProfile, saveProfile } from '../profiles.ts';

/** `hooklane login`: saves a server URL, key and account as a profile, after checking them. */
export function registerLogin(program: Command, ctx: CliContext): void {
  program
    .command('login')
    .description(
      'Save a server URL and API key (and its account) as a profile, checked against the server first',
    )
    .option('--no-verify', 'save without contacting the server')
    .addHelpText(
      'after',
      `
The server says which account an account key belongs to (GET /v1/me), and that account is saved
with the key. The root key belongs to no account: give --account, or let \`hooklane accounts
create\` save the account it creates in the profile (see \`hooklane accounts create --help\`).

The profile is saved under --profile (default "default") in $HOOKLANE_CONFIG_DIR/profiles.json
(else ~/.config/hooklane/profiles.json), readable by you only (mode 0600). Later commands use
the "default" profile, or the one named by --profile / HOOKLANE_PROFILE.

Examples:
  $ hooklane login --url https://hooks.example.com --key hlk_...
  $ hooklane login --profile local --url http://127.0.0.1:8080 --key hlr_...
  $ hooklane --profile local accounts create "Acme"`,
    )
    .action(async (options: { verify: boolean }, command: Command) => {
      const globals = ctx.globals(command);
      const name = namedProfile(globals, ctx.env) ?? DEFAULT_PROFILE;
      const url = globals.url ?? ctx.env.HOOKLANE_URL ?? DEFAULT_URL;
      const key = globals.key ?? ctx.env.HOOKLANE_KEY;
      let account = globals.account ?? ctx.env.HOOKLANE_ACCOUNT;
      if (!key) throw new UsageError('login needs --key (or HOOKLANE_KEY)');
      const client = new ApiClient({ url, key, account: account ?? null });
      if (options.verify) {
        // A refused key answers 401 here and is not saved.
        const me = await client.me();
        if (me.account_id !== null) {
          if (account && account !== me.account_id) {
            throw new UsageError(`this key belongs to account ${me.account_id}, not ${account}`);
          }
          account = me.account_id;
        } else if (account) {
          // The root key: check that the account exists (404 otherwise).
          await client.request('GET', client.accountPath());
        }
      }
      const path = saveProfile(ctx.env, name, { url: client.baseUrl, key, ...(account ? { account } : {}) });
      if (globals.json) printJson({ profile: name, url: client.baseUrl, account: account ?? null, path });
      else
        printLine(
          `Saved profile "${name}" (${client.baseUrl}${account ? `, account ${account}` : ''}) to ${path}`,
        );
      if (!account && !globals.json && options.verify)
        printNote(
          'This is the root key, which belongs to no account: `hooklane accounts create <name>` saves the account it creates in this profile (or pass --account).',
        );
    });
}
