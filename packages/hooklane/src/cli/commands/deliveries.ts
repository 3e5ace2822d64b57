import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, Option } from 'commander';
import { DELIVERY_STATUSES } from '../../core/model.ts';
import { type ApiClient, CliError, EXIT } from '../api-client.ts';
import { collectArg, durationArg, integerArg, timeArg } from '../arguments.ts';
import type { CliContext } from '../main.ts';
import {
  fields,
  type Palette,
  ProgressBar,
  paintStatus,
  plural,
  printJson,
  printLine,
  printNote,
  table,
} from '../output.ts';

export interface Attempt {
  readonly id: string;
  readonly number: number;
  readonly started_at: string;
  readonly duration_ms: number;
  readonly url: string;
  readonly request: { readonly headers: Record<string, string>; readonly body: string | null };
  readonly response: {
    readonly status: number;
    readonly headers: Record<string, string>;
    readonly body: string | null;
  } | null;
  readonly error: string | null;
  readonly next_attempt_at: string | null;
}

export interface Delivery {
  readonly id: string;
  readonly webhook_id: string;
  readonly event_id: string;
  readonly event_ids?: string[];
  readonly status: string;
  readonly format: string;
  readonly attempt_count: number;
  readonly next_attempt_at: string | null;
  readonly last_status: number | null;
  readonly last_error: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly attempts?: Attempt[];
}

interface Page<T> {
  readonly data: T[];
  readonly next_cursor: string | null;
}

const POLL_MS = 250;

const deliveryPath = (client: ApiClient, id: string) =>
  client.accountPath(`/deliveries/${encodeURIComponent(id)}`);

/**
 * Polls a delivery (with its attempts) until it has more than `before` attempts or is no
 * longer pending; null when `timeoutMs` passes first.
 */
export async function waitForAttempt(
  client: ApiClient,
  id: string,
  before: number,
  timeoutMs: number,
): Promise<Delivery | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const delivery = await client.request<Delivery>('GET', deliveryPath(client, id));
    if (delivery.attempt_count > before || delivery.status !== 'pending') return delivery;
    if (Date.now() >= deadline) return null;
    await sleep(POLL_MS);
  }
}

const lastAttempt = (delivery: Delivery): Attempt | undefined =>
  [...(delivery.attempts ?? [])].sort((a, b) => b.number - a.number)[0];

/** `204 in 12 ms` / `ECONNREFUSED after 3 ms`, for one attempt. */
export function describeAttempt(attempt: Attempt, paint: Palette): string {
  const outcome = attempt.response
    ? paintStatus(attempt.response.status, paint)
    : paint.red(attempt.error ?? 'error');
  return `${outcome} in ${attempt.duration_ms} ms`;
}

/**
 * Reports the outcome of the attempt `waitForAttempt` waited for; throws (exit 1) when it
 * failed or never came, after printing what is known.
 */
export function reportAttempt(
  delivery: Delivery | null,
  id: string,
  json: boolean | undefined,
  ctx: CliContext,
): void {
  if (delivery === null) {
    throw new CliError(`no attempt of ${id} within the wait; is a delivery worker running?`, EXIT.failed);
  }
  const attempt = lastAttempt(delivery);
  if (json) printJson(delivery);
  else if (attempt) printLine(`${delivery.id}: ${describeAttempt(attempt, ctx.paint)} (${attempt.url})`);
  else printLine(`${delivery.id}: ${paintStatus(delivery.status, ctx.paint)}`);
  const ok = delivery.status === 'succeeded';
  if (!ok) {
    const why = attempt
      ? attempt.response
        ? `answered ${attempt.response.status}`
        : attempt.error
      : delivery.status;
    throw new CliError(`delivery ${delivery.id} failed: ${why}`, EXIT.failed);
  }
}

function deliveryRows(deliveries: readonly Delivery[], paint: Palette): string[][] {
  return deliveries.map((d) => [
    d.id,
    paintStatus(d.status, paint),
    d.webhook_id,
    d.event_ids && d.event_ids.length > 1 ? `${d.event_id} (+${d.event_ids.length - 1})` : d.event_id,
    String(d.attempt_count),
    d.last_status !== null
      ? paintStatus(d.last_status, paint)
      : d.last_error
        ? paint.red(d.last_error.slice(0, 40))
        : '-',
    d.created_at,
  ]);
}

interface ListOptions {
  readonly webhook?: string;
  readonly event?: string;
  readonly status?: string;
  readonly since?: string;
  readonly until?: string;
  readonly limit: number;
  readonly cursor?: string;
  readonly all?: boolean;
}

interface RecoverOptions {
  readonly since: string;
  readonly until?: string;
  readonly webhook?: string[];
  readonly wait: boolean;
  readonly timeout: number;
  readonly dryRun?: boolean;
}

/** `hooklane deliveries list|show|retry|recover`: what was delivered, and re-sending what was not. */
export function registerDeliveries(program: Command, ctx: CliContext): void {
  const deliveries = program
    .command('deliveries')
    .description('Inspect deliveries and their attempts; retry and recover failed ones')
    .addHelpText(
      'after',
      `
Examples:
  $ hooklane deliveries list --status failed --since 1d
  $ hooklane deliveries show dlv_...
  $ hooklane deliveries retry dlv_... --wait
  $ hooklane deliveries recover --since 2h`,
    );

  deliveries
    .command('list')
    .description('List deliveries, newest first')
    .option('--webhook <id>', 'only this webhook')
    .option('--event <id>', 'only deliveries of this event')
    .addOption(new Option('--status <status>', 'only this status').choices(DELIVERY_STATUSES))
    .option('--since <time>', 'created at or after: ISO 8601, or a duration ago (30m, 2d)', (v) => timeArg(v))
    .option('--until <time>', 'created before: ISO 8601, or a duration ago', (v) => timeArg(v))
    .option('--limit <n>', 'page size, 1 to 250', integerArg, 50)
    .option('--cursor <cursor>', 'continue from a previous page')
    .option('--all', 'follow the pages to the end')
    .addHelpText(
      'after',
      `
Examples:
  $ hooklane deliveries list --status failed --since 2d
  $ hooklane deliveries list --webhook wh_... --limit 10 --json | jq '.data[].status'`,
    )
    .action(async (options: ListOptions, command: Command) => {
      const client = await ctx.accountClient(command);
      const query = {
        webhook_id: options.webhook,
        event_id: options.event,
        status: options.status,
        since: options.since,
        until: options.until,
      };
      let page: Page<Delivery>;
      if (options.all) {
        page = {
          data: await client.listAll<Delivery>(client.accountPath('/deliveries'), query),
          next_cursor: null,
        };
      } else {
        page = await client.request<Page<Delivery>>('GET', client.accountPath('/deliveries'), {
          query: { ...query, limit: options.limit, cursor: options.cursor },
        });
      }
      if (ctx.globals(command).json) return printJson(page);
      if (page.data.length === 0) return printNote('No deliveries.');
      printLine(
        table(
          ['ID', 'STATUS', 'WEBHOOK', 'EVENT', 'ATTEMPTS', 'LAST', 'CREATED'],
          deliveryRows(page.data, ctx.paint),
          ctx.paint,
        ),
      );
      if (page.next_cursor) printNote(`More: add --cursor ${page.next_cursor} (or --all)`);
    });

  deliveries
    .command('show')
    .description('Show a delivery with its attempts')
    .argument('<id>', 'delivery id (dlv_...)')
    .option('--bodies', "also print each attempt's request and response (headers and body)")
    .addHelpText(
      'after',
      '\nExamples:\n  $ hooklane deliveries show dlv_...\n  $ hooklane deliveries show dlv_... --bodies',
    )
    .action(async (id: string, options: { bodies?: boolean }, command: Command) => {
      const client = await ctx.accountClient(command);
      const delivery = await client.request<Delivery>('GET', deliveryPath(client, id));
      if (ctx.globals(command).json) return printJson(delivery);
      const { paint } = ctx;
      printLine(
        fields(
          [
            ['id', delivery.id],
            ['status', paintStatus(delivery.status, paint)],
            ['webhook', delivery.webhook_id],
            ['event', (delivery.event_ids ?? [delivery.event_id]).join(', ')],
            ['format', delivery.format],
            ['attempts', String(delivery.attempt_count)],
            ['next_attempt_at', delivery.next_attempt_at ?? '-'],
            ['created_at', delivery.created_at],
            ['updated_at', delivery.updated_at],
          ],
          paint,
        ),
      );
      const attempts = delivery.attempts ?? [];
      if (attempts.length === 0) return printLine(`\n${paint.dim('No attempts yet.')}`);
      printLine();
      printLine(
        table(
          ['#', 'STARTED', 'STATUS', 'DURATION', 'ERROR', 'NEXT'],
          attempts.map((a) => [
            String(a.number),
            a.started_at,
            paintStatus(a.response?.status ?? null, paint),
            `${a.duration_ms} ms`,
            a.error ?? '-',
            a.next_attempt_at ?? '-',
          ]),
          paint,
        ),
      );
      if (!options.bodies) return;
      for (const a of attempts) {
        printLine(`\n${paint.bold(`Attempt ${a.number}`)}  POST ${a.url}`);
        for (const [name, value] of Object.entries(a.request.headers)) printLine(`  > ${name}: ${value}`);
        if (a.request.body !== null) printLine(`  > ${a.request.body}`);
        if (a.response) {
          printLine(`  < ${a.response.status}`);
          for (const [name, value] of Object.entries(a.response.headers)) printLine(`  < ${name}: ${value}`);
          if (a.response.body) printLine(`  < ${a.response.body}`);
        }
      }
    });

  deliveries
    .command('retry')
    .description('Send a delivery again now (one more attempt)')
    .argument('<id>', 'delivery id (dlv_...)')
    .option('--wait', 'wait for the attempt and report it (exit 1 if it fails)')
    .option('--timeout <duration>', 'how long --wait waits', durationArg, 30_000)
    .addHelpText(
      'after',
      '\nExamples:\n  $ hooklane deliveries retry dlv_...\n  $ hooklane deliveries retry dlv_... --wait',
    )
    .action(async (id: string, options: { wait?: boolean; timeout: number }, command: Command) => {
      const client = await ctx.accountClient(command);
      const json = ctx.globals(command).json;
      const queued = await client.request<Delivery>('POST', `${deliveryPath(client, id)}/retry`);
      if (!options.wait) {
        if (json) return printJson(queued);
        return printLine(
          `Queued ${queued.id} for another attempt (status ${paintStatus(queued.status, ctx.paint)}).`,
        );
      }
      reportAttempt(await waitForAttempt(client, id, queued.attempt_count, options.timeout), id, json, ctx);
    });

  deliveries
    .command('recover')
    .description("Re-queue webhooks' failed deliveries created in a time window, with a progress bar")
    .requiredOption(
      '--since <time>',
      'failed deliveries created at or after: ISO 8601 or a duration ago (2h)',
      (v) => timeArg(v),
    )
    .option('--until <time>', 'created before (default: now)', (v) => timeArg(v))
    .option('--webhook <id>', "only this webhook (repeatable; default: every enabled webhook's)", collectArg)
    .option('--no-wait', 'return once re-queued instead of following the new attempts')
    .option('--timeout <duration>', 'how long to follow the attempts', durationArg, 120_000)
    .option('--dry-run', 'print how many would be re-queued, and change nothing')
    .addHelpText(
      'after',
      `
Each failed delivery gets one more attempt. By default the command then follows those attempts
with a progress bar and prints how many succeeded; --json prints the totals as JSON. --dry-run
prints how many it would re-queue (refused as the real run would be) and re-queues nothing.

Examples:
  $ hooklane deliveries recover --since 2h
  $ hooklane deliveries recover --since 2h --dry-run
  $ hooklane deliveries recover --since 2025-05-01T00:00:00Z --until 2025-05-02T00:00:00Z --webhook wh_...`,
    )
    .action(async (options: RecoverOptions, command: Command) => {
      const client = await ctx.accountClient(command);
      const json = ctx.globals(command).json;
      const since = options.since;
      // A fixed end keeps deliveries created while this runs out of the window.
      const until = options.until ?? new Date().toISOString();
      const webhookIds =
        options.webhook ??
        (await client.listAll<{ id: string; enabled: boolean }>(client.accountPath('/webhooks')))
          .filter((webhook) => webhook.enabled)
          .map((webhook) => webhook.id);

      if (options.dryRun) {
        const webhooks: { id: string; recovered: number }[] = [];
        for (const webhookId of webhookIds) {
          const { recovered } = await client.request<{ recovered: number }>(
            'POST',
            client.accountPath(`/webhooks/${encodeURIComponent(webhookId)}/recover`),
            { body: { since, until, dry_run: true } },
          );
          webhooks.push({ id: webhookId, recovered });
        }
        const recovered = webhooks.reduce((sum, w) => sum + w.recovered, 0);
        if (json) return printJson({ dry_run: true, recovered, since, until, webhooks });
        return printLine(
          `Would re-queue ${plural(recovered, 'failed delivery', 'failed deliveries')} of ${plural(webhookIds.length, 'webhook')} (created ${since} to ${until}); nothing was changed.`,
        );
      }

      // The failed deliveries about to be re-queued, to follow their attempts afterwards.
      const tracked = new Set<string>();
      for (const webhookId of webhookIds) {
        const failed = await client.listAll<Delivery>(client.accountPath('/deliveries'), {
          webhook_id: webhookId,
          status: 'failed',
          since,
          until,
        });
        for (const delivery of failed) tracked.add(delivery.id);
      }

      const perWebhook: { id: string; recovered: number }[] = [];
      const requeue = new ProgressBar('Re-queueing', webhookIds.length, ctx.env);
      for (const webhookId of webhookIds) {
        const { recovered } = await client.request<{ recovered: number }>(
          'POST',
          client.accountPath(`/webhooks/${encodeURIComponent(webhookId)}/recover`),
          { body: { since, until } },
        );
        perWebhook.push({ id: webhookId, recovered });
        requeue.update(perWebhook.length);
      }
      const recovered = perWebhook.reduce((sum, w) => sum + w.recovered, 0);
      requeue.finish(
        `Re-queued ${plural(recovered, 'failed delivery', 'failed deliveries')} of ${plural(webhookIds.length, 'webhook')}.`,
      );

      const result = { recovered, since, until, webhooks: perWebhook, succeeded: 0, failed: 0, pending: 0 };
      if (options.wait && tracked.size > 0) {
        const progress = new ProgressBar('Delivering ', tracked.size, ctx.env);
        const deadline = Date.now() + options.timeout;
        const count = async (status: string) =>
          (
            await client.listAll<Delivery>(client.accountPath('/deliveries'), { status, since, until })
          ).filter((d) => tracked.has(d.id)).length;
        let pending = tracked.size;
        while (pending > 0 && Date.now() < deadline) {
          await sleep(POLL_MS);
          pending = await count('pending');
          progress.update(tracked.size - pending);
        }
        result.pending = pending;
        result.failed = await count('failed');
        result.succeeded = tracked.size - pending - result.failed;
        progress.finish(
          `${ctx.paintErr.green(`${result.succeeded} succeeded`)}, ${result.failed > 0 ? ctx.paintErr.red(`${result.failed} failed`) : '0 failed'}${pending > 0 ? `, ${pending} still pending` : ''}.`,
        );
      } else {
        result.pending = recovered;
      }
      if (json) printJson(result);
    });
}
