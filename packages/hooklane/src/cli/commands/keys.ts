import { type Command, Option } from 'commander';
import { ROLES } from '../../core/model.ts';
import type { CliContext } from '../main.ts';
import { fields, printJson, printLine, printNote, table } from '../output.ts';

interface ApiKey {
  readonly id: string;
  readonly role: string;
  readonly name: string | null;
  readonly prefix: string;
  readonly created_at: string;
  readonly revoked_at: string | null;
  readonly key?: string;
}

/** `hooklane keys create|list|revoke`: an account's API keys. */
export function registerKeys(program: Command, ctx: CliContext): void {
  const keys = program
    .command('keys')
    .description("Manage an account's API keys")
    .addHelpText(
      'after',
      `
Examples:
  $ hooklane keys create --account acc_... --role admin --name "CI"
  $ hooklane keys list
  $ hooklane keys revoke key_...`,
    );

  keys
    .command('create')
    .description('Create an API key (its value is shown once)')
    .addOption(
      new Option('--role <role>', 'admin (everything), viewer (read only) or ingest (send events only)')
        .choices(ROLES)
        .makeOptionMandatory(),
    )
    .option('--name <name>', 'a label to recognise the key by')
    .addHelpText(
      'after',
      `
Needs the root key or an admin key of the account.

Examples:
  $ hooklane keys create --account acc_... --role admin --key hlr_...
  $ HOOKLANE_KEY=$(hooklane keys create --role ingest --json | jq -r .key)`,
    )
    .action(async (options: { role: string; name?: string }, command: Command) => {
      const client = await ctx.accountClient(command);
      const created = await client.request<ApiKey>('POST', client.accountPath('/keys'), {
        body: { role: options.role, ...(options.name === undefined ? {} : { name: options.name }) },
      });
      if (ctx.globals(command).json) return printJson(created);
      printLine(
        fields(
          [
            ['id', created.id],
            ['role', created.role],
            ['name', created.name ?? '-'],
            ['key', ctx.paint.bold(created.key ?? '')],
          ],
          ctx.paint,
        ),
      );
      printNote('Store the key now: it is not shown again.');
    });

  keys
    .command('list')
    .description("List the account's keys (never their values)")
    .addHelpText('after', '\nExample:\n  $ hooklane keys list --json')
    .action(async (_options: unknown, command: Command) => {
      const client = await ctx.accountClient(command);
      const page = await client.request<{ data: ApiKey[] }>('GET', client.accountPath('/keys'));
      if (ctx.globals(command).json) return printJson(page);
      const rows = page.data.map((key) => [
        key.id,
        key.role,
        `${key.prefix}…`,
        key.name ?? '-',
        key.created_at,
        key.revoked_at ? ctx.paint.red(`revoked ${key.revoked_at}`) : ctx.paint.green('active'),
      ]);
      printLine(table(['ID', 'ROLE', 'PREFIX', 'NAME', 'CREATED', 'STATE'], rows, ctx.paint));
    });

  keys
    .command('revoke')
    .description('Revoke a key')
    .argument('<id>', 'key id (key_...)')
    .addHelpText('after', '\nExample:\n  $ hooklane keys revoke key_...')
    .action(async (id: string, _options: unknown, command: Command) => {
      const client = await ctx.accountClient(command);
      await client.request('DELETE', client.accountPath(`/keys/${encodeURIComponent(id)}`));
      if (ctx.globals(command).json) printJson({ id, revoked: true });
      else printLine(`Revoked ${id}.`);
    });
}
