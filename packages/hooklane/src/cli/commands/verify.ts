import { readFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { type Scheme, verify, WebhookVerificationError } from '@hooklane/receiver';
import { type Command, Option } from 'commander';
import { CliError, EXIT, UsageError } from '../api-client.ts';
import { collectArg, durationArg } from '../arguments.ts';
import type { CliContext } from '../main.ts';
import { printJson, printLine } from '../output.ts';

interface SavedRequest {
  readonly headers: Record<string, string | string[]>;
  readonly body: string;
}

interface Outcome {
  readonly scheme: Scheme;
  readonly valid: boolean;
  readonly id?: string;
  readonly timestamp?: string;
  readonly code?: string;
  readonly message?: string;
}

const SCHEME_HEADERS: Record<Scheme, readonly string[]> = {
  standard: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
  appcues: ['x-apc-timestamp', 'x-apc-signature'],
};

/** A saved request has no age limit unless --tolerance gives one: about a century. */
const NO_TOLERANCE_SECONDS = 100 * 365 * 86_400;

async function readSavedRequest(file: string): Promise<SavedRequest> {
  const source = file === '-' ? 'stdin' : file;
  let parsed: unknown;
  try {
    parsed = JSON.parse(file === '-' ? await text(process.stdin) : readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read ${source} as JSON: ${(error as Error).message}`);
  }
  const request = parsed as Partial<SavedRequest> | null;
  if (typeof request?.headers !== 'object' || request.headers === null) {
    throw new UsageError(`${source} must be {"headers": {...}, "body": "<raw body>"}: no headers object`);
  }
  if (typeof request.body !== 'string') {
    throw new UsageError(
      `${source}: "body" must be the raw body as a string (re-serialised JSON does not verify: signatures cover the exact bytes)`,
    );
  }
  return { headers: request.headers, body: request.body };
}

function present(headers: SavedRequest['headers'], scheme: Scheme): boolean {
  const names = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  return SCHEME_HEADERS[scheme].some((name) => names.has(name));
}

/** `hooklane verify`: checks a saved request's signatures against a secret, as a receiver would. */
export function registerVerify(program: Command, ctx: CliContext): void {
  program
    .command('verify')
    .description("Check a saved webhook request's signatures against a secret (exit 1 if invalid)")
    .argument('<file>', 'JSON file {"headers": {...}, "body": "<raw body>"}, or "-" for stdin')
    .option(
      '--secret <secret>',
      'the webhook secret (repeatable during a rotation; env HOOKLANE_WEBHOOK_SECRET)',
      collectArg,
    )
    .addOption(
      new Option('--scheme <scheme>', 'which headers to check (default: every scheme present)').choices([
        'standard',
        'appcues',
      ]),
    )
    .option(
      '--tolerance <duration>',
      'also refuse a timestamp further than this from now, as receivers do (5m)',
      durationArg,
    )
    .addHelpText(
      'after',
      `
Both header sets Hooklane sends are checked when present: Standard Webhooks (webhook-id,
webhook-timestamp, webhook-signature) and Appcues (X-Apc-Timestamp, X-Apc-Signature). A saved
request is old by nature, so its age is not checked unless --tolerance is given.

Examples:
  $ hooklane verify request.json --secret whsec_...
  $ HOOKLANE_WEBHOOK_SECRET=whsec_... hooklane verify request.json --scheme standard --tolerance 5m
  $ jq '{headers, body}' captured.json | hooklane verify - --secret whsec_... --json`,
    )
    .action(
      async (
        file: string,
        options: { secret?: string[]; scheme?: Scheme; tolerance?: number },
        command: Command,
      ) => {
        const secrets =
          options.secret ?? (ctx.env.HOOKLANE_WEBHOOK_SECRET ? [ctx.env.HOOKLANE_WEBHOOK_SECRET] : []);
        if (secrets.length === 0) throw new UsageError('verify needs --secret (or HOOKLANE_WEBHOOK_SECRET)');
        const request = await readSavedRequest(file);
        const schemes: Scheme[] = options.scheme
          ? [options.scheme]
          : (['standard', 'appcues'] as const).filter((scheme) => present(request.headers, scheme));
        if (schemes.length === 0) schemes.push('standard');

        const outcomes: Outcome[] = [];
        for (const scheme of schemes) {
          try {
            const verified = await verify(request.body, request.headers, secrets, {
              scheme,
              toleranceSeconds:
                options.tolerance === undefined ? NO_TOLERANCE_SECONDS : options.tolerance / 1000,
            });
            outcomes.push({
              scheme,
              valid: true,
              ...(verified.id === undefined ? {} : { id: verified.id }),
              timestamp: verified.timestamp.toISOString(),
            });
          } catch (error) {
            if (!(error instanceof WebhookVerificationError)) throw error;
            if (error.code === 'invalid_secret') throw new UsageError(`unusable secret: ${error.message}`);
            outcomes.push({ scheme, valid: false, code: error.code, message: error.message });
          }
        }

        const valid = outcomes.every((outcome) => outcome.valid);
        if (ctx.globals(command).json) {
          printJson({ valid, results: outcomes });
        } else {
          const { paint } = ctx;
          for (const o of outcomes) {
            const detail = o.valid
              ? `signed ${o.timestamp}${o.id ? `, webhook-id ${o.id}` : ''}`
              : `${o.code}: ${o.message}`;
            printLine(
              `${o.valid ? paint.green('valid  ') : paint.red('invalid')}  ${o.scheme.padEnd(8)}  ${detail}`,
            );
          }
        }
        if (!valid) {
          const failed = outcomes.filter((o) => !o.valid).map((o) => `${o.scheme} (${o.code})`);
          throw new CliError(`invalid signature: ${failed.join(', ')}`, EXIT.failed);
        }
      },
    );
}
