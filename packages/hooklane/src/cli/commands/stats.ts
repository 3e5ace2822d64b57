import { type Command, Option } from 'commander';
import { timeArg } from '../arguments.ts';
import type { CliContext } from '../main.ts';
import { fields, type Palette, percent, plural, printJson, printLine, sparkline, table } from '../output.ts';

interface Counts {
  readonly succeeded: number;
  readonly failed: number;
  readonly retrying: number;
  readonly pending: number;
  readonly cancelled: number;
  readonly total: number;
}

export interface Stats {
  readonly since: string;
  readonly until: string;
  readonly bucket: string;
  readonly totals: Counts;
  readonly success_rate: number | null;
  readonly webhooks: readonly {
    readonly id: string;
    readonly name: string;
    readonly enabled: boolean;
    readonly disabled_reason: string | null;
    readonly failing_since: string | null;
    readonly last_delivery_at: string | null;
    readonly totals: Counts;
    readonly success_rate: number | null;
    readonly buckets: readonly { readonly start: string; readonly count: number }[];
  }[];
  readonly failing: readonly { readonly id: string; readonly name: string; readonly failing_since: string }[];
  readonly oldest_pending: {
    readonly id: string;
    readonly webhook_id: string;
    readonly created_at: string;
    readonly attempt_count: number;
    readonly next_attempt_at: string | null;
  } | null;
}

/** Green at 100 %, red below 90 %, yellow between. */
function paintRate(rate: number | null, paint: Palette): string {
  const text = percent(rate);
  if (rate === null) return paint.dim(text);
  if (rate === 1) return paint.green(text);
  return rate < 0.9 ? paint.red(text) : paint.yellow(text);
}

function printStats(stats: Stats, paint: Palette): void {
  const { totals } = stats;
  const outcomes = [
    `${totals.succeeded} succeeded`,
    totals.failed > 0 ? paint.red(`${totals.failed} failed`) : '0 failed',
    `${totals.retrying} retrying`,
    `${totals.pending} pending`,
    `${totals.cancelled} cancelled`,
  ].join(', ');
  const pending = stats.oldest_pending;
  printLine(
    fields(
      [
        ['window', `${stats.since} → ${stats.until} (by ${stats.bucket})`],
        ['deliveries', `${totals.total}: ${outcomes}`],
        ['success rate', paintRate(stats.success_rate, paint)],
        [
          'failing',
          stats.failing.length === 0
            ? 'none'
            : paint.red(stats.failing.map((w) => `${w.id} (${w.name}) since ${w.failing_since}`).join('; ')),
        ],
        [
          'oldest pending',
          pending === null
            ? 'none'
            : `${pending.id} (${pending.webhook_id}) created ${pending.created_at}, ${plural(pending.attempt_count, 'attempt')}`,
        ],
      ],
      paint,
    ),
  );
  if (stats.webhooks.length === 0) return;
  printLine();
  const rows = stats.webhooks.map((w) => [
    w.id,
    w.name,
    String(w.totals.total),
    paintRate(w.success_rate, paint),
    sparkline(w.buckets.map((b) => b.count)),
    !w.enabled
      ? paint.red(`disabled${w.disabled_reason ? ` (${w.disabled_reason})` : ''}`)
      : w.failing_since
        ? paint.red(`failing since ${w.failing_since}`)
        : paint.green('ok'),
  ]);
  printLine(
    table(
      ['WEBHOOK', 'NAME', 'DELIVERIES', 'SUCCESS', `PER ${stats.bucket.toUpperCase()}`, 'STATE'],
      rows,
      paint,
    ),
  );
}

/** `hooklane stats`: how an account's deliveries went, overall and per webhook. */
export function registerStats(program: Command, ctx: CliContext): void {
  program
    .command('stats')
    .description("How the account's deliveries went: totals, success rate, failing webhooks, per webhook")
    .option(
      '--since <time>',
      'deliveries created at or after: ISO 8601 or a duration ago (default: the last 24 whole hours)',
      (v) => timeArg(v),
    )
    .option('--until <time>', 'created before (default: now)', (v) => timeArg(v))
    .addOption(new Option('--bucket <size>', 'one count per hour or per day').choices(['hour', 'day']))
    .addHelpText(
      'after',
      `
Counts the deliveries created in the window by their status now (retrying: pending after a failed
attempt). The success rate counts succeeded among succeeded and failed. Each webhook's line has a
sparkline of its deliveries per bucket (· for none).

Examples:
  $ hooklane stats
  $ hooklane stats --since 7d --bucket day
  $ hooklane stats --json | jq '.failing'`,
    )
    .action(async (options: { since?: string; until?: string; bucket?: string }, command: Command) => {
      const client = await ctx.accountClient(command);
      const stats = await client.request<Stats>('GET', client.accountPath('/stats'), {
        query: { since: options.since, until: options.until, bucket: options.bucket },
      });
      if (ctx.globals(command).json) return printJson(stats);
      printStats(stats, ctx.paint);
    });
}
