import { Agent, errors as undiciErrors } from 'undici';
import { createGuardedConnector } from './guarded-connector.ts';

/** What came of one HTTP attempt. A failure is data, never an exception. */
export interface SendResult {
  readonly status: number | null;
  readonly headers: Record<string, string> | null;
  /** The response body, cut at the capture limit. */
  readonly body: string | null;
  readonly error: string | null;
  readonly durationMs: number;
}

export interface SenderOptions {
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly allowPrivateNetworks: boolean;
  /** Keep-alive connections per origin. */
  readonly connectionsPerOrigin: number;
}

export interface Sender {
  send(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<SendResult>;
  close(): Promise<void>;
}

/**
 * POSTs deliveries through one undici Agent: a keep-alive pool per origin, the SSRF guard
 * at connect time, no redirects (undici's `request` never follows them, so a 3xx is just
 * a failed attempt), an overall timeout, and the response body captured up to a limit.
 */
export function createSender(options: SenderOptions): Sender {
  const agent = new Agent({
    connect: createGuardedConnector({
      allowPrivateNetworks: options.allowPrivateNetworks,
      connectTimeoutMs: options.timeoutMs,
    }),
    connections: options.connectionsPerOrigin,
    keepAliveTimeout: 30_000,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  // One controller and one timer per request, both gone when it ends. (AbortSignal.timeout
  // keeps its timer, and AbortSignal.any its bookkeeping, for the whole timeout after the
  // request is over: tens of thousands alive at a few thousand requests a second.) The
  // caller's signal reaches every request in flight through one listener.
  const inFlight = new Set<AbortController>();
  const wired = new WeakSet<AbortSignal>();
  const abortAll = () => {
    for (const controller of inFlight) controller.abort();
  };

  return {
    async send(url, headers, body, signal) {
      const started = performance.now();
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, options.timeoutMs);
      if (!wired.has(signal)) {
        wired.add(signal);
        signal.addEventListener('abort', abortAll, { once: true });
      }
      if (signal.aborted) controller.abort();
      inFlight.add(controller);
      const target = new URL(url);
      try {
        const response = await agent.request({
          origin: target.origin,
          path: `${target.pathname}${target.search}`,
          method: 'POST',
          headers,
          body,
          signal: controller.signal,
        });
        const captured = await capture(response.body, options.maxResponseBytes);
        return {
          status: response.statusCode,
          headers: flattenHeaders(response.headers),
          body: captured,
          error: null,
          durationMs: Math.round(performance.now() - started),
        };
      } catch (error) {
        return {
          status: null,
          headers: null,
          body: null,
          error: describeError(error, timedOut, options.timeoutMs),
          durationMs: Math.round(performance.now() - started),
        };
      } finally {
        clearTimeout(timer);
        inFlight.delete(controller);
      }
    },
    close: () => agent.close(),
  };
}

/** Reads the whole body (so the connection can be reused) but keeps only the first `limit` bytes. */
async function capture(stream: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const chunk of stream) {
    if (kept >= limit) continue;
    const part = chunk.length > limit - kept ? chunk.subarray(0, limit - kept) : chunk;
    chunks.push(part);
    kept += part.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function describeError(error: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `timeout: no complete response within ${timeoutMs} ms`;
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return `timeout: ${error.message}`;
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const cause = (error as { cause?: { message?: string; code?: string } }).cause;
    const detail = cause?.message && cause.message !== error.message ? ` (${cause.message})` : '';
    return `${typeof code === 'string' ? `${code}: ` : ''}${error.message}${detail}`;
  }
  return String(error);
}
