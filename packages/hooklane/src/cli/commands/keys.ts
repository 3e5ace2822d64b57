import { type Command, Option } from 'commander';
import { ROLES } from '../../core/model.ts';
import { UsageError } from '../api-client.ts';
import { collectArg, jsonArg, listArg } from '../arguments.ts';
import type { CliContext } from '../main.ts';
import { fields, type Palette, printJson, printLine, printNote, table } from '../output.ts';

interface BucketRate {
  readonly per_second: number;
  readonly burst: number;
}

interface ApiKey {
  readonly id: string;
  readonly role: string;
  readonly name: string | null;
  readonly prefix: string;
  readonly created_at: string;
  readonly revoked_at: string | null;
  readonly key?: string;
  /** A publishable key's settings. */
  readonly origins?: string[];
  readonly events?: string[] | null;
  readonly rate_limit?: { readonly per_key: BucketRate; readonly per_client: BucketRate };
}

/** The publishable-key options create and update share, as commander parses them. */
interface PolicyOptions {
  readonly origin?: string[];
  readonly events?: string[];
  readonly rateLimit?: unknown;
}

const rateLimitArg = jsonArg('{"per_key": {"per_second": 50, "burst": 100}}');

/** The body fields of a publishable key's settings that were given. */
function policyBody(options: PolicyOptions): Record<string, unknown> {
  return {
    ...(options.origin !== undefined && { origins: options.origin }),
    ...(options.events !== undefined && { events: options.events }),
    ...(options.rateLimit !== undefined && { rate_limit: options.rateLimit }),
  };
}

/** Adds the options create and update share. */
function policyOptions(command: Command, originHelp: string): Command {
  return command
    .option('--origin <origin>', originHelp, collectArg)
    .option(
      '--events <names>',
      'what a publishable key may send: event names, catalog type ids, "*", trigger:<name> (comma-separated)',
      listArg,
    )
    .option(
      '--rate-limit <json>',
      'a publishable key\'s limits, e.g. \'{"per_key": {"per_second": 50, "burst": 100}, "per_client": {...}}\'',
      rateLimitArg,
    );
}

const rate = (bucket: BucketRate): string => `${bucket.per_second}/s, burst ${bucket.burst}`;

function printKey(key: ApiKey, paint: Palette): void {
  const pairs: [string, string][] = [
    ['id', key.id],
    ['role', key.role],
    ['name', key.name ?? '-'],
  ];
  if (key.origins !== undefined) pairs.push(['origins', key.origins.join(', ')]);
  if (key.events !== undefined) pairs.push(['events', key.events?.join(', ') ?? "the catalog's types"]);
  if (key.rate_limit !== undefined) {
    pairs.push(['per key', rate(key.rate_limit.per_key)], ['per client', rate(key.rate_limit.per_client)]);
  }
  if (key.key !== undefined) pairs.push(['key', paint.bold(key.key)]);
  printLine(fields(pairs, paint));
}

/** `hooklane keys create|list|update|revoke`: an account's API keys. */
export function registerKeys(program: Command, ctx: CliContext): void {
  const keys = program
    .command('keys')
    .description("Manage an account's API keys")
    .addHelpText(
      'after',
      `
Examples:
  $ hooklane keys create --account acc_... --role admin --name "CI"
  $ hooklane keys create --role publishable --origin https://app.example.com
  $ hooklane keys list
  $ hooklane keys revoke key_...`,
    );

  policyOptions(
    keys
      .command('create')
      .description('Create an API key (its value is shown once)')
      .addOption(
        new Option(
          '--role <role>',
          'admin (everything), viewer (read only), ingest (send events only) or publishable (events from web pages)',
        )
          .choices(ROLES)
          .makeOptionMandatory(),
      )
      .option('--name <name>', 'a label to recognise the key by'),
    'a page that may use a publishable key, e.g. https://app.example.com (repeatable)',
  )
    .addHelpText(
      'after',
      `
Needs the root key or an admin key of the account. A publishable key (hlp_...) is made to be
seen in web pages: it needs --origin, and may only send events (see docs/browser.md).
--events and --rate-limit default to the catalog's types and 50/s (burst 100) per key,
2/s (burst 20) per client address.

Examples:
  $ hooklane keys create --account acc_... --role admin --key hlr_...
  $ HOOKLANE_KEY=$(hooklane keys create --role ingest --json | jq -r .key)
  $ hooklane keys create --role publishable --name "web app" --origin https://app.example.com \\
      --origin http://localhost:5173 --events '*,trigger:onboarding_finished'`,
    )
    .action(async (options: PolicyOptions & { role: string; name?: string }, command: Command) => {
      const client = await ctx.accountClient(command);
      const created = await client.request<ApiKey>('POST', client.accountPath('/keys'), {
        body: {
          role: options.role,
          ...(options.name === undefined ? {} : { name: options.name }),
          ...policyBody(options),
        },
      });
      if (ctx.globals(command).json) return printJson(created);
      printKey(created, ctx.paint);
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

  policyOptions(
    keys
      .command('update')
      .description("Change a publishable key's origins, events or rate limit (left out: unchanged)")
      .argument('<id>', 'key id (key_...)'),
    'the pages that may use the key, e.g. https://app.example.com (repeatable; replaces the list)',
  )
    .option('--catalog-events', "let the key send the catalog's types (and no triggers), the default")
    .addHelpText(
      'after',
      `
--origin replaces the whole list of origins (repeat it to keep several), --events the whole list
of events; --rate-limit replaces the limits it names. Only publishable keys have these settings.

Examples:
  $ hooklane keys update key_... --origin https://app.example.com --origin https://beta.example.com
  $ hooklane keys update key_... --events 'flow_completed,trigger:*'
  $ hooklane keys update key_... --rate-limit '{"per_client": {"per_second": 5, "burst": 40}}'`,
    )
    .action(async (id: string, options: PolicyOptions & { catalogEvents?: boolean }, command: Command) => {
      if (options.catalogEvents && options.events) {
        throw new UsageError('--catalog-events and --events contradict each other');
      }
      const body = policyBody(options);
      if (options.catalogEvents) body.events = null;
      if (Object.keys(body).length === 0)
        throw new UsageError('nothing to change: give --origin, --events, --catalog-events or --rate-limit');
      const client = await ctx.accountClient(command);
      const updated = await client.request<ApiKey>(
        'PATCH',
        client.accountPath(`/keys/${encodeURIComponent(id)}`),
        { body },
      );
      if (ctx.globals(command).json) return printJson(updated);
      printKey(updated, ctx.paint);
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
