import type { Command } from 'commander';
import { type ApiClient, UsageError } from '../api-client.ts';
import type { CliContext } from '../main.ts';
import { fields, printJson, printLine, printNote } from '../output.ts';
import { type Profile, readProfiles, saveProfile } from '../profiles.ts';

interface Account {
  readonly id: string;
  readonly name: string;
  readonly created_at: string;
}

/** The saved profile the client's key came from, which `--use` and `accounts use` change. */
function profileOf(ctx: CliContext, client: ApiClient): { name: string; profile: Profile } {
  const name = client.profile;
  const profile = name === null ? undefined : readProfiles(ctx.env).profiles[name];
  if (name === null || profile === undefined) {
    throw new UsageError('the key in use is not from a saved profile: save one with `hooklane login` first');
  }
  return { name, profile };
}

/** `hooklane accounts create|show|use`: tenants (creating one needs the root key). */
export function registerAccounts(program: Command, ctx: CliContext): void {
  const accounts = program
    .command('accounts')
    .description('Create and read accounts (tenants); choose the account a profile acts on')
    .addHelpText(
      'after',
      `
Examples:
  $ HOOKLANE_KEY=hlr_... hooklane accounts create "Acme"
  $ hooklane accounts show --account acc_...
  $ hooklane accounts use acc_...`,
    );

  const print = (account: Account, json: boolean | undefined) => {
    if (json) return printJson(account);
    printLine(
      fields(
        [
          ['id', account.id],
          ['name', account.name],
          ['created_at', account.created_at],
        ],
        ctx.paint,
      ),
    );
  };

  accounts
    .command('create')
    .description('Create an account (needs the root key)')
    .argument('<name>', 'display name of the account')
    .option('--use', "make it the profile's account even when the profile has one")
    .addHelpText(
      'after',
      `
When the root key comes from a saved profile (\`hooklane login\`) that has no account yet, the new
account is saved in it, so later commands act on it without --account; --use does so even when
the profile has an account already. Otherwise pass --account <id> (or set HOOKLANE_ACCOUNT).

Examples:
  $ hooklane accounts create "Acme"
  $ hooklane accounts create "Globex" --use
  $ ACC=$(hooklane accounts create "Acme" --key hlr_... --json | jq -r .id)`,
    )
    .action(async (name: string, options: { use?: boolean }, command: Command) => {
      const client = ctx.client(command);
      // --use needs a profile to save in (exit 2 before anything is created).
      const from = options.use || client.profile !== null ? profileOf(ctx, client) : null;
      const account = await client.request<Account>('POST', '/v1/accounts', { body: { name } });
      print(account, ctx.globals(command).json);
      if (from !== null && (from.profile.account === undefined || options.use)) {
        saveProfile(ctx.env, from.name, { ...from.profile, account: account.id });
        printNote(
          `Saved ${account.id} as the account of profile "${from.name}": commands act on it unless given --account.`,
        );
        printNote('Next: hooklane keys create --role admin');
      } else if (from !== null) {
        printNote(
          `Profile "${from.name}" still acts on ${from.profile.account}: pass --account ${account.id}, or switch with \`hooklane accounts use ${account.id}\`.`,
        );
      } else {
        printNote(`Next: hooklane keys create --account ${account.id} --role admin`);
      }
    });

  accounts
    .command('show')
    .description('Read the account')
    .addHelpText('after', '\nExample:\n  $ hooklane accounts show --account acc_... --json')
    .action(async (_options: unknown, command: Command) => {
      const client = await ctx.accountClient(command);
      print(await client.request<Account>('GET', client.accountPath()), ctx.globals(command).json);
    });

  accounts
    .command('use')
    .description('Make an account the one the profile acts on (checked against the server)')
    .argument('<id>', 'account id (acc_...)')
    .addHelpText(
      'after',
      `
Saves the account in the profile the key in use comes from (see \`hooklane login\`); later
commands act on it unless given --account.

Example:
  $ hooklane accounts use acc_...`,
    )
    .action(async (id: string, _options: unknown, command: Command) => {
      const client = ctx.client(command);
      const { name, profile } = profileOf(ctx, client);
      // Proves that the key may act on the account (404 when it does not exist or is another's).
      const account = await client.request<Account>('GET', `/v1/accounts/${encodeURIComponent(id)}`);
      saveProfile(ctx.env, name, { ...profile, account: account.id });
      if (ctx.globals(command).json) printJson({ profile: name, account: account.id });
      else printLine(`Profile "${name}" now acts on ${account.id} (${account.name}).`);
    });
}
