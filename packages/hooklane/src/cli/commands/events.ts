import { readFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import type { Command } from 'commander';
import { EVENT_TYPES, findEventType } from '../../core/catalog.ts';
import { UsageError } from '../api-client.ts';
import type { CliContext } from '../main.ts';
import { paintStatus, plural, printJson, printLine, printNote, table } from '../output.ts';

/** The catalog sample of a type, without the fields the server fills in (fresh id, this account, now). */
export function sampleEvent(typeId: string): Record<string, unknown> {
  const type = findEventType(typeId);
  if (!type) {
    throw new UsageError(
      `unknown event type "${typeId}"; one of: ${EVENT_TYPES.map((t) => t.id).join(', ')}`,
    );
  }
  const {
    id: _id,
    account_id: _account,
    timestamp: _timestamp,
    ingested_at: _ingested,
    ...event
  } = structuredClone(type.sample) as Record<string, unknown>;
  return event;
}

interface Routing {
  readonly event_id: string;
  readonly event_name: string;
  readonly ingested_at: string;
  readonly webhooks: readonly {
    readonly webhook_id: string;
    readonly name: string;
    readonly delivered: boolean;
    readonly delivery: { readonly id: string; readonly status: string } | null;
    readonly reason: string | null;
    readonly changed_since_event: boolean;
  }[];
}

/** Why a webhook got no delivery of the event, in words after the API's code. */
const REASONS: Readonly<Record<string, string>> = {
  type_not_subscribed: 'does not subscribe to this event',
  content_filter: 'its filter left the event out',
  disabled: 'the webhook is disabled',
  created_after_event: 'the webhook was created after the event',
  no_delivery: 'it would take the event today (its settings changed since, or the delivery was pruned)',
};

async function readJson(file: string | undefined): Promise<unknown> {
  const source = file === undefined || file === '-' ? 'stdin' : file;
  let content: string;
  try {
    content = source === 'stdin' ? await text(process.stdin) : readFileSync(source, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${source}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(content);
  } catch (error) {
    throw new UsageError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
}

/** `hooklane events send|types`: ingest events, list the catalog. */
export function registerEvents(program: Command, ctx: CliContext): void {
  const events = program
    .command('events')
    .description('Send events; see where an event went; list the event catalog')
    .addHelpText(
      'after',
      `
Examples:
  $ hooklane events send event.json
  $ hooklane events send --sample flow_completed
  $ hooklane events routing <event id>
  $ hooklane events types`,
    );

  events
    .command('send')
    .description(
      'Send one event, an array, or {"events": [...]} from a JSON file, stdin, or a catalog sample',
    )
    .argument('[file]', 'JSON file; "-" or nothing (with piped input) reads stdin')
    .option('--sample <type>', "send the catalog's sample of this type (a fresh id, this account, now)")
    .addHelpText(
      'after',
      `
Needs an admin or ingest key. The server answers with the events' ids once they are stored.

Examples:
  $ hooklane events send event.json
  $ echo '{"name":"appcues:flow_completed","user_id":"u1","attributes":{"flowId":"f1"}}' | hooklane events send
  $ hooklane events send --sample nps_score --json`,
    )
    .action(async (file: string | undefined, options: { sample?: string }, command: Command) => {
      if (file !== undefined && options.sample !== undefined)
        throw new UsageError('give a file or --sample, not both');
      if (file === undefined && options.sample === undefined && process.stdin.isTTY) {
        throw new UsageError('nothing to send: give a JSON file, pipe JSON on stdin, or use --sample <type>');
      }
      const body = options.sample !== undefined ? sampleEvent(options.sample) : await readJson(file);
      const client = await ctx.accountClient(command);
      const result = await client.request<{ ids: string[] }>('POST', client.accountPath('/events'), { body });
      if (ctx.globals(command).json) return printJson(result);
      printNote(`Accepted ${plural(result.ids.length, 'event')}:`);
      for (const id of result.ids) printLine(id);
    });

  events
    .command('types')
    .description('List the event catalog (type ids for webhooks, --sample and listen --events)')
    .addHelpText('after', "\nExample:\n  $ hooklane events types --json | jq '.data[].id'")
    .action(async (_options: unknown, command: Command) => {
      const client = ctx.client(command);
      const catalog = await client.request<{
        data: { id: string; label: string; source: string; names: string[] }[];
      }>('GET', '/v1/event-types', { auth: false });
      if (ctx.globals(command).json) return printJson(catalog);
      const rows = catalog.data.map((type) => [type.id, type.label, type.source, type.names.join(', ')]);
      printLine(table(['ID', 'LABEL', 'SOURCE', 'NAMES'], rows, ctx.paint));
    });

  events
    .command('routing')
    .description('For each webhook: the delivery an event got (its id and status), or why it got none')
    .argument('<event-id>', "the event's id, as sent or as `events send` printed it")
    .addHelpText(
      'after',
      `
Reasons: type_not_subscribed, content_filter, disabled, created_after_event, no_delivery. A
webhook edited since the event is marked: its reason reads its settings of today.

Examples:
  $ hooklane events routing 3f6c2b1e-8a4d-4c7e-9b2f-5d1e0a7c4b93
  $ hooklane events routing <event id> --json | jq '.webhooks[] | select(.delivered | not)'`,
    )
    .action(async (eventId: string, _options: unknown, command: Command) => {
      const client = await ctx.accountClient(command);
      const routing = await client.request<Routing>(
        'GET',
        client.accountPath(`/events/${encodeURIComponent(eventId)}/routing`),
      );
      if (ctx.globals(command).json) return printJson(routing);
      const { paint } = ctx;
      printLine(`${routing.event_id} (${routing.event_name}), ingested ${routing.ingested_at}`);
      if (routing.webhooks.length === 0) return printNote('The account has no webhooks.');
      const rows = routing.webhooks.map((route) => [
        route.webhook_id,
        route.name,
        route.delivery
          ? `${paint.green('delivered')}  ${route.delivery.id}  ${paintStatus(route.delivery.status, paint)}`
          : `${paint.yellow(route.reason ?? 'no delivery')}  ${paint.dim(REASONS[route.reason ?? ''] ?? '')}`.trimEnd(),
        route.changed_since_event ? paint.dim('edited since the event') : '',
      ]);
      printLine(table(['WEBHOOK', 'NAME', 'ROUTED', ''], rows, paint));
    });
}
