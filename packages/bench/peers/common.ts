import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { Agent } from 'undici';
import { secretKey, signHeaders } from '../sign.ts';

/**
 * What the two peer pipelines share: their settings from the environment, the ingest
 * endpoint's event handling, and the signed undici POST their workers make.
 */

export interface PeerWebhook {
  readonly url: string;
  readonly secret: string;
}

export interface PeerConfig {
  /** `all` (ingest + worker), `ingest` (no worker: the backlog scenario), `worker`. */
  readonly role: 'all' | 'ingest' | 'worker';
  readonly port: number;
  readonly queue: string;
  readonly webhooks: readonly PeerWebhook[];
  readonly timeoutMs: number;
  /** Requests in flight: BullMQ's worker concurrency, and the connections to one receiver. */
  readonly concurrency: number;
}

export function peerConfig(env: NodeJS.ProcessEnv = process.env): PeerConfig {
  const role = env.PEER_ROLE ?? 'all';
  if (role !== 'all' && role !== 'ingest' && role !== 'worker') throw new Error(`PEER_ROLE: ${role}`);
  return {
    role,
    port: Number(env.PORT ?? 0),
    queue: env.PEER_QUEUE ?? 'webhooks',
    webhooks: JSON.parse(env.PEER_WEBHOOKS ?? '[]') as PeerWebhook[],
    timeoutMs: Number(env.PEER_DELIVERY_TIMEOUT_MS ?? 15_000),
    concurrency: Number(env.PEER_CONCURRENCY ?? 64),
  };
}

/** One job per (event, webhook): its data is the body to send, built once at ingest. */
export interface DeliveryJob {
  readonly webhook: number;
  readonly body: string;
}

class BadRequest extends Error {}

/** An event, an array of them, or `{events: [...]}` → one job per event and webhook. */
export function toJobs(body: unknown, webhooks: number): { ids: string[]; jobs: DeliveryJob[] } {
  const raw = Array.isArray(body)
    ? body
    : body !== null && typeof body === 'object' && 'events' in body && Array.isArray(body.events)
      ? body.events
      : [body];
  const ids: string[] = [];
  const jobs: DeliveryJob[] = [];
  const ingestedAt = Date.now();
  for (const candidate of raw) {
    if (candidate === null || typeof candidate !== 'object')
      throw new BadRequest('an event must be an object');
    const event = candidate as Record<string, unknown>;
    if (typeof event.name !== 'string' || typeof event.user_id !== 'string') {
      throw new BadRequest('name and user_id must be strings');
    }
    event.id ??= randomUUID();
    event.ingested_at = ingestedAt;
    const serialised = JSON.stringify(event);
    ids.push(event.id as string);
    for (let webhook = 0; webhook < webhooks; webhook++) jobs.push({ webhook, body: serialised });
  }
  return { ids, jobs };
}

/** The ingest endpoint: `POST /events` answers 202 once `enqueue` (the queue's batch add) resolves. */
export async function startIngest(
  config: PeerConfig,
  enqueue: (jobs: DeliveryJob[]) => Promise<unknown>,
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 1_048_576 });
  app.post('/events', async (request, reply) => {
    let batch: { ids: string[]; jobs: DeliveryJob[] };
    try {
      batch = toJobs(request.body, config.webhooks.length);
    } catch (error) {
      if (error instanceof BadRequest) return reply.code(422).send({ error: error.message });
      throw error;
    }
    await enqueue(batch.jobs);
    return reply.code(202).send({ ids: batch.ids });
  });
  await app.listen({ host: '127.0.0.1', port: config.port });
  return app;
}

/** Signs and POSTs one delivery over keep-alive connections; throws unless the answer is 2xx. */
export function createPoster(config: PeerConfig): {
  post(job: DeliveryJob, deliveryId: string): Promise<void>;
  close(): Promise<void>;
} {
  const agent = new Agent({
    connections: config.concurrency,
    keepAliveTimeout: 30_000,
    headersTimeout: config.timeoutMs,
    bodyTimeout: config.timeoutMs,
  });
  const targets = config.webhooks.map((hook) => {
    const url = new URL(hook.url);
    return { origin: url.origin, path: `${url.pathname}${url.search}`, key: secretKey(hook.secret) };
  });
  return {
    async post(job, deliveryId) {
      const target = targets[job.webhook];
      if (!target) throw new Error(`no webhook ${job.webhook}`);
      const response = await agent.request({
        origin: target.origin,
        path: target.path,
        method: 'POST',
        headers: signHeaders(target.key, deliveryId, job.body),
        body: job.body,
        signal: AbortSignal.timeout(config.timeoutMs),
      });
      await response.body.dump();
      if (response.statusCode < 200 || response.statusCode >= 300)
        throw new Error(`HTTP ${response.statusCode}`);
    },
    close: () => agent.close(),
  };
}

/** Stops `close` on SIGTERM/SIGINT, and when the bench's IPC channel goes away. */
export function exitOnSignal(close: () => Promise<void>): void {
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    const timer = setTimeout(() => process.exit(0), 3_000);
    close().finally(() => {
      clearTimeout(timer);
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
}
