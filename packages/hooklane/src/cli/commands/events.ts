import { readFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import type { Command } from 'commander';
import { EVENT_TYPES, findEventType } from '../../core/catalog.ts';
import { UsageError } from '../api-client.ts';
import type { CliContext } from '../main.ts';
import { plural, printJson, printLine, printNote, table } from '../output.ts';

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
    .description('Send events; list the event catalog')
    .addHelpText(
      'after',
      `
Examples:
  $ hooklane events send event.json
  $ hooklane events send --sample flow_completed
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
}
