import type { Command } from 'commander';
import type { CliContext } from '../main.ts';
import { fields, printJson, printLine, printNote } from '../output.ts';

interface Account {
  readonly id: string;
  readonly name: string;
  readonly created_at: string;
}

/** `hooklane accounts create|show`: tenants (creating one needs the root key). */
export function registerAccounts(program: Command, ctx: CliContext): void {
  const accounts = program
    .command('accounts')
    .description('Create and read accounts (tenants)')
    .addHelpText(
      'after',
      `
Examples:
  $ HOOKLANE_KEY=hlr_... hooklane accounts create "Acme"
  $ hooklane accounts show --account acc_...`,
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
    .addHelpText(
      'after',
      `
Examples:
  $ hooklane accounts create "Acme" --key hlr_...
  $ ACC=$(hooklane accounts create "Acme" --json | jq -r .id)`,
    )
    .action(async (name: string, _options: unknown, command: Command) => {
      const client = ctx.client(command);
      const account = await client.request<Account>('POST', '/v1/accounts', { body: { name } });
      print(account, ctx.globals(command).json);
      if (!ctx.globals(command).json) {
        printNote(`Next: hooklane keys create --account ${account.id} --role admin`);
      }
    });

  accounts
    .command('show')
    .description('Read the account')
    .addHelpText('after', '\nExample:\n  $ hooklane accounts show --account acc_... --json')
    .action(async (_options: unknown, command: Command) => {
      const client = ctx.client(command);
      print(await client.request<Account>('GET', client.accountPath()), ctx.globals(command).json);
    });
}
