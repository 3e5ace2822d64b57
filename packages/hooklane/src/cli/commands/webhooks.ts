import { type Command, Option } from 'commander';
import { EVENT_TYPES, findEventType } from '../../core/catalog.ts';
import { PAYLOAD_FORMATS } from '../../core/model.ts';
import { type ApiClient, UsageError } from '../api-client.ts';
import { collectArg, durationArg, headerArg, integerArg, jsonArg, listArg } from '../arguments.ts';
import type { CliContext } from '../main.ts';
import { fields, type Palette, printJson, printLine, printNote, table } from '../output.ts';
import { type Delivery, reportAttempt, waitForAttempt } from './deliveries.ts';

interface Webhook {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly events: string[];
  readonly filters: { readonly content_ids: string[] | null };
  readonly format: string;
  readonly batch_window_ms: number;
  readonly headers: Record<string, string>;
  readonly enabled: boolean;
  readonly disabled_reason: string | null;
  readonly signed: boolean;
  readonly failing_since: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly secret?: string | null;
}

/** The options create and update share, as commander parses them. */
interface EditOptions {
  readonly name?: string;
  readonly events?: string[];
  readonly format?: string;
  readonly batchWindow?: number;
  readonly header?: Record<string, string>;
  readonly contentId?: string[];
  readonly match?: unknown;
  readonly template?: unknown;
}

const matchArg = jsonArg('{"attributes.score": {"$lte": 6}}');
const templateArg = jsonArg('{"body": {"text": "{{name}}"}}');

const webhookPath = (client: ApiClient, id: string, rest = '') =>
  client.accountPath(`/webhooks/${encodeURIComponent(id)}${rest}`);

function state(webhook: Webhook, paint: Palette): string {
  if (webhook.enabled)
    return webhook.failing_since
      ? paint.yellow(`failing since ${webhook.failing_since}`)
      : paint.green('enabled');
  return paint.red(`disabled${webhook.disabled_reason ? ` (${webhook.disabled_reason})` : ''}`);
}

function printWebhook(webhook: Webhook, paint: Palette): void {
  const pairs: [string, string][] = [
    ['id', webhook.id],
    ['name', webhook.name],
    ['url', webhook.url],
    ['events', webhook.events.join(', ')],
    ['content_ids', webhook.filters.content_ids?.join(', ') ?? 'any'],
    [
      'format',
      webhook.format + (webhook.batch_window_ms > 0 ? ` (batch window ${webhook.batch_window_ms} ms)` : ''),
    ],
    [
      'headers',
      Object.entries(webhook.headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ') || '-',
    ],
    ['state', state(webhook, paint)],
    ['signed', webhook.signed ? 'yes' : 'no'],
    ['created_at', webhook.created_at],
    ['updated_at', webhook.updated_at],
  ];
  if (webhook.secret !== undefined) pairs.push(['secret', paint.bold(webhook.secret ?? '(unsigned)')]);
  printLine(fields(pairs, paint));
}

/** The body fields create and update share. */
function editBody(options: EditOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (options.name !== undefined) body.name = options.name;
  if (options.events !== undefined) body.events = options.events;
  if (options.format !== undefined) body.format = options.format;
  if (options.batchWindow !== undefined) body.batch_window_ms = options.batchWindow;
  if (options.header !== undefined) body.headers = options.header;
  if (options.contentId !== undefined || options.match !== undefined) {
    body.filters = {
      ...(options.contentId !== undefined && { content_ids: options.contentId }),
      ...(options.match !== undefined && { match: options.match }),
    };
  }
  if (options.template !== undefined) body.template = options.template;
  return body;
}

/** Adds the options create and update share. */
function editOptions(command: Command): Command {
  return command
    .option('--name <name>', 'display name')
    .option(
      '--events <types>',
      'type ids or custom names, comma-separated or repeated, or "*" for all',
      listArg,
    )
    .addOption(new Option('--format <format>', 'payload format').choices(PAYLOAD_FORMATS))
    .option(
      '--batch-window <duration>',
      "usetiful format: collect a user's events for this long (max 10s)",
      durationArg,
    )
    .option(
      '-H, --header <header>',
      'static header sent with every delivery, "Name: value" (repeatable)',
      headerArg,
    )
    .option('--content-id <id>', 'only events about this flow/checklist/tour... (repeatable)', collectArg)
    .option('--match <json>', 'payload filter, e.g. \'{"attributes.score": {"$lte": 6}}\'', matchArg)
    .option('--template <json>', 'template format: \'{"body": {...}, "content_type"?: ...}\'', templateArg);
}

interface Preview {
  readonly template: unknown;
  readonly data: readonly {
    readonly event_id: string | null;
    readonly name: string | null;
    readonly matches: boolean;
    readonly content_type: string | null;
    readonly body: string | null;
    readonly error: string | null;
  }[];
}

/** The sample type `webhooks test` sends by default: the webhook's first catalog type. */
function defaultTestType(webhook: Webhook): string {
  return webhook.events.find((name) => findEventType(name) !== undefined) ?? 'flow_completed';
}

/** `hooklane webhooks ...`: subscriptions, their secrets, and test sends. */
export function registerWebhooks(program: Command, ctx: CliContext): void {
  const webhooks = program
    .command('webhooks')
    .description('Manage webhooks (subscriptions): create, list, update, delete, rotate secrets, test')
    .addHelpText(
      'after',
      `
Examples:
  $ hooklane webhooks create https://example.com/hooks --events flow_completed,nps_score
  $ hooklane webhooks list
  $ hooklane webhooks preview --format slack --match '{"attributes.score": {"$lte": 6}}'
  $ hooklane webhooks test wh_... --type nps_score`,
    );

  webhooks
    .command('list')
    .description("List the account's webhooks")
    .option('--limit <n>', 'page size, 1 to 250', integerArg, 100)
    .option('--cursor <cursor>', 'continue from a previous page')
    .addHelpText(
      'after',
      "\nExamples:\n  $ hooklane webhooks list\n  $ hooklane webhooks list --json | jq -r '.data[].id'",
    )
    .action(async (options: { limit: number; cursor?: string }, command: Command) => {
      const client = await ctx.accountClient(command);
      const page = await client.request<{ data: Webhook[]; next_cursor: string | null }>(
        'GET',
        client.accountPath('/webhooks'),
        { query: { limit: options.limit, cursor: options.cursor } },
      );
      if (ctx.globals(command).json) return printJson(page);
      if (page.data.length === 0)
        return printNote('No webhooks. Create one with `hooklane webhooks create <url>`.');
      const rows = page.data.map((w) => [
        w.id,
        w.name,
        w.url,
        w.events.join(','),
        w.format,
        state(w, ctx.paint),
      ]);
      printLine(table(['ID', 'NAME', 'URL', 'EVENTS', 'FORMAT', 'STATE'], rows, ctx.paint));
      if (page.next_cursor) printNote(`More: add --cursor ${page.next_cursor}`);
    });

  webhooks
    .command('show')
    .description('Show a webhook')
    .argument('<id>', 'webhook id (wh_...)')
    .addHelpText('after', '\nExample:\n  $ hooklane webhooks show wh_...')
    .action(async (id: string, _options: unknown, command: Command) => {
      const client = await ctx.accountClient(command);
      const webhook = await client.request<Webhook>('GET', webhookPath(client, id));
      if (ctx.globals(command).json) return printJson(webhook);
      printWebhook(webhook, ctx.paint);
    });

  editOptions(
    webhooks
      .command('create')
      .description('Create a webhook; prints its signing secret')
      .argument('<url>', 'where deliveries are POSTed (http or https)'),
  )
    .option('--secret <secret>', 'signing secret to use (default: a generated whsec_...)')
    .option('--no-secret', 'unsigned webhook')
    .option('--disabled', 'create it disabled')
    .addHelpText(
      'after',
      `
--events defaults to "*" (every event) and --name to the URL's host.

Examples:
  $ hooklane webhooks create https://example.com/hooks --events flow_completed,nps_score --name CRM
  $ hooklane webhooks create https://example.com/usetiful --events '*' --format usetiful --batch-window 2s
  $ hooklane webhooks create https://example.com/hooks -H "X-Team: growth" --content-id flow_123`,
    )
    .action(
      async (
        url: string,
        options: EditOptions & { secret?: string | false; disabled?: boolean },
        command: Command,
      ) => {
        const client = await ctx.accountClient(command);
        let name = options.name;
        if (name === undefined) {
          try {
            name = new URL(url).host;
          } catch {
            name = url;
          }
        }
        const body: Record<string, unknown> = {
          ...editBody(options),
          name,
          url,
          events: options.events ?? ['*'],
        };
        if (options.secret === false) body.secret = null;
        else if (options.secret !== undefined) body.secret = options.secret;
        if (options.disabled) body.enabled = false;
        const webhook = await client.request<Webhook>('POST', client.accountPath('/webhooks'), { body });
        if (ctx.globals(command).json) return printJson(webhook);
        printWebhook(webhook, ctx.paint);
        if (webhook.secret)
          printNote('Verify deliveries with this secret; later, `hooklane webhooks secret <id>` shows it.');
      },
    );

  editOptions(
    webhooks
      .command('update')
      .description('Edit a webhook (fields left out stay as they are)')
      .argument('<id>', 'webhook id (wh_...)'),
  )
    .option('--endpoint <url>', 'new target URL')
    .option('--no-headers', 'remove every static header')
    .option('--any-content', 'remove the content id filter')
    .option('--enable', 'enable it')
    .option('--disable', 'disable it (its pending deliveries fail; recover them later)')
    .addHelpText(
      'after',
      `
-H replaces the whole set of static headers; --content-id replaces the filter.

Examples:
  $ hooklane webhooks update wh_... --events flow_completed,flow_skipped
  $ hooklane webhooks update wh_... --endpoint https://example.com/v2/hooks --enable
  $ hooklane webhooks update wh_... --disable`,
    )
    .action(
      async (
        id: string,
        options: EditOptions & {
          headers: boolean;
          endpoint?: string;
          anyContent?: boolean;
          enable?: boolean;
          disable?: boolean;
        },
        command: Command,
      ) => {
        if (options.enable && options.disable)
          throw new UsageError('--enable and --disable contradict each other');
        if (options.anyContent && options.contentId) {
          throw new UsageError('--any-content and --content-id contradict each other');
        }
        if (!options.headers && options.header)
          throw new UsageError('--no-headers and --header contradict each other');
        const body = editBody(options);
        if (!options.headers) body.headers = {};
        if (options.endpoint !== undefined) body.url = options.endpoint;
        if (options.anyContent) body.filters = { content_ids: null };
        if (options.enable) body.enabled = true;
        if (options.disable) body.enabled = false;
        if (Object.keys(body).length === 0)
          throw new UsageError('nothing to change: give at least one option (see --help)');
        const client = await ctx.accountClient(command);
        const webhook = await client.request<Webhook>('PATCH', webhookPath(client, id), { body });
        if (ctx.globals(command).json) return printJson(webhook);
        printWebhook(webhook, ctx.paint);
      },
    );

  webhooks
    .command('delete')
    .description('Delete a webhook; its pending deliveries are cancelled')
    .argument('<id>', 'webhook id (wh_...)')
    .addHelpText('after', '\nExample:\n  $ hooklane webhooks delete wh_...')
    .action(async (id: string, _options: unknown, command: Command) => {
      const client = await ctx.accountClient(command);
      await client.request('DELETE', webhookPath(client, id));
      if (ctx.globals(command).json) printJson({ id, deleted: true });
      else printLine(`Deleted ${id}.`);
    });

  webhooks
    .command('secret')
    .description("Print a webhook's current signing secret")
    .argument('<id>', 'webhook id (wh_...)')
    .addHelpText('after', '\nExample:\n  $ export HOOKLANE_WEBHOOK_SECRET=$(hooklane webhooks secret wh_...)')
    .action(async (id: string, _options: unknown, command: Command) => {
      const client = await ctx.accountClient(command);
      const result = await client.request<{ secret: string | null }>(
        'GET',
        webhookPath(client, id, '/secret'),
      );
      if (ctx.globals(command).json) return printJson(result);
      if (result.secret === null) printNote('This webhook is unsigned.');
      else printLine(result.secret);
    });

  webhooks
    .command('rotate-secret')
    .description('Make a new signing secret; the old one stays valid for a grace period')
    .argument('<id>', 'webhook id (wh_...)')
    .option('--secret <secret>', 'the new secret (default: a generated whsec_...)')
    .option(
      '--grace <duration>',
      "how long the old secret stays valid (default: the server's, 24h)",
      durationArg,
    )
    .addHelpText(
      'after',
      `
Examples:
  $ hooklane webhooks rotate-secret wh_...
  $ hooklane webhooks rotate-secret wh_... --grace 1h`,
    )
    .action(async (id: string, options: { secret?: string; grace?: number }, command: Command) => {
      const client = await ctx.accountClient(command);
      const body: Record<string, unknown> = {};
      if (options.secret !== undefined) body.secret = options.secret;
      if (options.grace !== undefined) body.grace_period_ms = options.grace;
      const rotated = await client.request<{ secret: string | null; previous_secret_valid_until: string }>(
        'POST',
        webhookPath(client, id, '/rotate-secret'),
        { body },
      );
      if (ctx.globals(command).json) return printJson(rotated);
      printLine(
        fields(
          [
            ['secret', ctx.paint.bold(rotated.secret ?? '(unsigned)')],
            ['previous valid until', rotated.previous_secret_valid_until],
          ],
          ctx.paint,
        ),
      );
    });

  webhooks
    .command('test')
    .description("Send the catalog's sample of an event type to this webhook and report the attempt")
    .argument('<id>', 'webhook id (wh_...)')
    .addOption(
      new Option('--type <type>', "catalog type id (default: the webhook's first catalog type)").choices(
        EVENT_TYPES.map((type) => type.id),
      ),
    )
    .option('--no-wait', 'return once queued, without waiting for the attempt')
    .option('--timeout <duration>', 'how long to wait for the attempt', durationArg, 30_000)
    .addHelpText(
      'after',
      `
Waits for the attempt and exits 1 if the endpoint did not answer 2xx.

Examples:
  $ hooklane webhooks test wh_...
  $ hooklane webhooks test wh_... --type nps_score --json`,
    )
    .action(
      async (id: string, options: { type?: string; wait: boolean; timeout: number }, command: Command) => {
        const client = await ctx.accountClient(command);
        const json = ctx.globals(command).json;
        const type =
          options.type ?? defaultTestType(await client.request<Webhook>('GET', webhookPath(client, id)));
        const queued = await client.request<Delivery>('POST', webhookPath(client, id, '/test'), {
          body: { event_type: type },
        });
        if (!options.wait) {
          if (json) return printJson(queued);
          return printLine(`Queued a ${type} sample as ${queued.id}.`);
        }
        if (!json) printNote(`Sent a ${type} sample (${queued.id}); waiting for the attempt...`);
        reportAttempt(await waitForAttempt(client, queued.id, 0, options.timeout), queued.id, json, ctx);
      },
    );

  webhooks
    .command('preview')
    .description("Render a would-be webhook's bodies for the account's last 20 events; nothing is sent")
    .addOption(
      new Option('--format <format>', 'payload format').choices(PAYLOAD_FORMATS).makeOptionMandatory(),
    )
    .option('--match <json>', 'payload filter, e.g. \'{"attributes.score": {"$lte": 6}}\'', matchArg)
    .option('--template <json>', 'template format: \'{"body": {...}, "content_type"?: ...}\'', templateArg)
    .addHelpText(
      'after',
      `
For each of the account's last 20 events, newest first: whether the filter lets it through and
the body it would be sent with (or why it cannot be rendered). A bad filter or template is refused
as it would be on create. See docs/destinations.md for formats, filters and templates.

Examples:
  $ hooklane webhooks preview --format slack
  $ hooklane webhooks preview --format slack --match '{"attributes.score": {"$lte": 6}}'
  $ hooklane webhooks preview --format template --template '{"body": {"text": "{{user_id}}: {{name}}"}}'`,
    )
    .action(async (options: { format: string; match?: unknown; template?: unknown }, command: Command) => {
      const client = await ctx.accountClient(command);
      const preview = await client.request<Preview>('POST', client.accountPath('/webhooks/preview'), {
        body: {
          format: options.format,
          ...(options.match !== undefined && { filters: { match: options.match } }),
          ...(options.template !== undefined && { template: options.template }),
        },
      });
      if (ctx.globals(command).json) return printJson(preview);
      const { paint } = ctx;
      if (preview.data.length === 0) {
        return printNote('No events yet: send one with `hooklane events send --sample <type>`.');
      }
      preview.data.forEach((item, index) => {
        if (index > 0) printLine();
        const verdict = item.matches ? paint.green('matches') : paint.yellow('filtered out');
        printLine(
          [paint.bold(item.name ?? '-'), item.event_id ?? '-', verdict, paint.dim(item.content_type ?? '')]
            .join('  ')
            .trimEnd(),
        );
        printLine(`  ${item.error === null ? (item.body ?? '') : paint.red(item.error)}`);
      });
      if (preview.template !== null && options.format !== 'template') {
        printNote(
          `\nThe ${options.format} format is this template (a start for --format template --template):\n${JSON.stringify(preview.template)}`,
        );
      }
    });
}
