import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, Option } from 'commander';
import { generateWebhookSecret } from '../../core/secrets.ts';
import { secretKeyBytes, signatureHeaders } from '../../core/signatures.ts';
import { type ApiClient, ApiError, apiErrorOf, CliError, UsageError, unreachable } from '../api-client.ts';
import { durationArg, headerArg, listArg } from '../arguments.ts';
import type { CliContext } from '../main.ts';
import { localTime, paintStatus, printNote } from '../output.ts';
import { readSse, type SseMessage } from '../sse.ts';

interface ListenOptions {
  readonly forwardTo: string;
  readonly events?: string[];
  readonly secret?: string;
  readonly format: 'appcues' | 'standard';
  readonly header?: Record<string, string>;
  readonly timeout: number;
}

/** The server sends a keep-alive every 15 s; this long without a byte means the connection is dead. */
const IDLE_MS = 45_000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** How long in-flight forwards may finish after Ctrl-C. */
const STOP_GRACE_MS = 1_000;

/** Delay before reconnect attempt `n` (0-based): doubling from 0.5 s to 30 s, ±20%. */
export function backoffMs(n: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** n);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Statuses worth reconnecting after; anything else (401, 403, 404...) will not get better by waiting. */
const retryable = (status: number) => status >= 500 || status === 408 || status === 429;

/**
 * The event's JSON exactly as the server streamed it, so the forwarded body is byte-for-byte
 * what a real delivery carries; falls back to re-serialising when the framing differs.
 */
function rawEvent(data: string, type: string | null, event: unknown): string {
  const prefix = `{"type":${JSON.stringify(type)},"event":`;
  return data.startsWith(prefix) && data.endsWith('}')
    ? data.slice(prefix.length, -1)
    : JSON.stringify(event);
}

interface Forwarded {
  readonly time: string;
  readonly event_id: string;
  readonly type: string;
  readonly webhook_id: string;
  readonly status: number | null;
  readonly duration_ms: number;
  readonly error: string | null;
}

class Listener {
  readonly #client: ApiClient;
  readonly #options: ListenOptions;
  readonly #ctx: CliContext;
  readonly #json: boolean;
  readonly #keys: Buffer[];
  readonly #secret: { value: string; generated: boolean };
  readonly #stop = new AbortController();
  readonly #forwards = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();

  constructor(client: ApiClient, options: ListenOptions, ctx: CliContext, json: boolean) {
    this.#client = client;
    this.#options = options;
    this.#ctx = ctx;
    this.#json = json;
    this.#secret = options.secret
      ? { value: options.secret, generated: false }
      : { value: generateWebhookSecret(), generated: true };
    this.#keys = [secretKeyBytes(this.#secret.value)];
  }

  /** Streams until Ctrl-C (or SIGTERM), reconnecting with backoff when the stream is lost. */
  async run(): Promise<void> {
    const stop = () => this.#stop.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let connectedOnce = false;
    let failures = 0;
    try {
      while (!this.#stop.signal.aborted) {
        let reason = 'the server closed the stream';
        try {
          await this.#stream(() => {
            if (!connectedOnce) this.#ready();
            else printNote(this.#ctx.paintErr.green('Reconnected.'));
            connectedOnce = true;
            failures = 0;
          });
        } catch (error) {
          if (this.#stop.signal.aborted) break;
          if (error instanceof ApiError && !retryable(error.status)) throw error;
          if (!connectedOnce)
            throw error instanceof CliError ? error : unreachable(this.#client.baseUrl, error);
          reason =
            error instanceof CliError ? error.message : unreachable(this.#client.baseUrl, error).message;
        }
        if (this.#stop.signal.aborted) break;
        const delay = backoffMs(failures++);
        printNote(
          this.#ctx.paintErr.yellow(
            `Stream lost (${reason}); reconnecting in ${(delay / 1000).toFixed(1)} s...`,
          ),
        );
        await sleep(delay, undefined, { signal: this.#stop.signal }).catch(() => {});
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await Promise.race([
        Promise.allSettled(this.#inFlight),
        sleep(STOP_GRACE_MS, undefined, { ref: false }),
      ]);
      this.#forwards.abort();
    }
  }

  #ready(): void {
    const { paintErr } = this.#ctx;
    const which = this.#options.events ? this.#options.events.join(', ') : 'all events';
    printNote(
      `${paintErr.green('Ready!')} Forwarding ${which} of ${this.#client.account} from ${this.#client.baseUrl} to ${paintErr.bold(this.#options.forwardTo)}`,
    );
    printNote(
      this.#secret.generated
        ? `Your webhook signing secret is ${paintErr.bold(this.#secret.value)} (^C to quit)`
        : 'Signing with the secret given by --secret (^C to quit)',
    );
  }

  /** One connection: resolves when the server ends the stream, throws when it fails. */
  async #stream(onConnected: () => void): Promise<void> {
    const connection = new AbortController();
    const signal = AbortSignal.any([this.#stop.signal, connection.signal]);
    const url = this.#client.url(this.#client.accountPath('/listen'), {
      events: this.#options.events?.join(','),
    });
    const response = await fetch(url, {
      headers: { ...this.#client.headers(), accept: 'text/event-stream' },
      signal,
    });
    if (!response.ok) throw await apiErrorOf(response);
    if (!response.body) throw new Error('the server sent no stream');
    onConnected();
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(), IDLE_MS);
    };
    arm();
    try {
      for await (const message of readSse(response.body, arm)) {
        if (message.event !== 'event') continue;
        const forwarding = this.#forward(message).finally(() => this.#inFlight.delete(forwarding));
        this.#inFlight.add(forwarding);
      }
    } catch (error) {
      if (connection.signal.aborted && !this.#stop.signal.aborted) {
        throw new CliError(`no data for ${IDLE_MS / 1000} s`, 1);
      }
      throw error;
    } finally {
      clearTimeout(idle);
    }
  }

  async #forward(message: SseMessage): Promise<void> {
    let parsed: { type: string | null; event: Record<string, unknown> };
    try {
      parsed = JSON.parse(message.data);
    } catch {
      printNote(this.#ctx.paintErr.yellow(`Skipped a malformed message (id ${message.id ?? '?'}).`));
      return;
    }
    const event = parsed.event ?? {};
    const type = parsed.type ?? String(event.name ?? 'event');
    const eventJson = rawEvent(message.data, parsed.type, event);
    const timestamp = typeof event.timestamp === 'number' ? event.timestamp : Date.now();
    const body =
      this.#options.format === 'standard'
        ? `{"type":${JSON.stringify(type)},"timestamp":${JSON.stringify(new Date(timestamp).toISOString())},"data":${eventJson}}`
        : eventJson;
    const webhookId = `msg_${randomUUID().replaceAll('-', '')}`;
    const started = Date.now();
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'hooklane-cli (listen)',
      ...this.#options.header,
      ...signatureHeaders(this.#keys, webhookId, started, body),
    };
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(this.#options.forwardTo, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.any([this.#forwards.signal, AbortSignal.timeout(this.#options.timeout)]),
      });
      status = response.status;
      await response.arrayBuffer().catch(() => undefined);
    } catch (failure) {
      if (this.#forwards.signal.aborted) return;
      error = unreachable(this.#options.forwardTo, failure).message.replace(/^cannot reach \S+: /, '');
    }
    this.#print({
      time: new Date(started).toISOString(),
      event_id: String(event.id ?? message.id ?? ''),
      type,
      webhook_id: webhookId,
      status,
      duration_ms: Date.now() - started,
      error,
    });
  }

  #print(forwarded: Forwarded): void {
    if (this.#json) {
      process.stdout.write(`${JSON.stringify(forwarded)}\n`);
      return;
    }
    const { paint } = this.#ctx;
    const outcome = forwarded.status === null ? paint.red('ERR') : paintStatus(forwarded.status, paint);
    const parts = [
      paint.dim(localTime(Date.parse(forwarded.time))),
      paint.cyan(forwarded.type.padEnd(24)),
      outcome,
      `${forwarded.duration_ms} ms`.padStart(8),
      paint.dim(forwarded.event_id),
    ];
    if (forwarded.error) parts.push(paint.red(forwarded.error));
    process.stdout.write(`${parts.join('  ')}\n`);
  }
}

/** `hooklane listen --forward-to <url>`: the account's events, as they happen, signed, to a local URL. */
export function registerListen(program: Command, ctx: CliContext): void {
  program
    .command('listen')
    .description("Receive the account's events as they happen and forward each one, signed, to a local URL")
    .requiredOption('--forward-to <url>', 'where to POST each event (e.g. http://localhost:3000/hooks)')
    .option('--events <types>', 'only these type ids or custom names (comma-separated or repeated)', listArg)
    .option('--secret <secret>', 'sign with this secret (default: a new whsec_... printed at start)')
    .addOption(
      new Option('--format <format>', 'payload format: the event, or the Standard Webhooks envelope')
        .choices(['appcues', 'standard'])
        .default('appcues'),
    )
    .option(
      '-H, --header <header>',
      'extra header on every forwarded request, "Name: value" (repeatable)',
      headerArg,
    )
    .option('--timeout <duration>', 'how long the local URL has to answer', durationArg, 15_000)
    .addHelpText(
      'after',
      `
Like \`stripe listen\`: the CLI opens an event stream to the server (an admin key is needed), so
a remote Hooklane can reach a server on your machine without exposing it. Each event is POSTed
with both signature header sets (webhook-* and X-Apc-*) and one line is printed per delivery:
time, type, status, duration, event id (--json: one JSON object per line). The stream
reconnects with backoff when lost; Ctrl-C exits 0. Events are forwarded as they happen:
nothing is replayed and the server keeps no delivery records for them.

Examples:
  $ hooklane listen --forward-to http://localhost:3000/hooks
  $ hooklane listen --forward-to http://localhost:3000/hooks --events flow_completed,nps_score
  $ hooklane listen --forward-to http://localhost:3000/hooks --secret "$HOOKLANE_WEBHOOK_SECRET" --format standard`,
    )
    .action(async (options: ListenOptions, command: Command) => {
      let target: URL;
      try {
        target = new URL(options.forwardTo);
      } catch {
        throw new UsageError(`--forward-to is not a URL: "${options.forwardTo}"`);
      }
      if (target.protocol !== 'http:' && target.protocol !== 'https:') {
        throw new UsageError('--forward-to must be an http:// or https:// URL');
      }
      const client = await ctx.accountClient(command);
      // Resolve the account and key now: a missing one is a usage error before any connection.
      client.accountPath();
      client.headers();
      await new Listener(client, options, ctx, ctx.globals(command).json === true).run();
    });
}
