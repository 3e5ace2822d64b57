import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import type { Config } from './config.ts';
import { SecretBox } from './core/secrets.ts';
import { resealHeaderValues } from './core/static-headers.ts';
import { DeliveryEngine } from './delivery/engine.ts';
import { createSender } from './delivery/sender.ts';
import { createMetrics } from './metrics.ts';
import { ensureRootKey } from './services/auth.ts';
import type { ServiceContext } from './services/context.ts';
import { EventBus } from './services/event-bus.ts';
import { startRetention } from './services/retention.ts';
import type { Store } from './store/store.ts';

export interface Hooklane {
  /** The API's base URL, when this process serves the API. */
  readonly url: string | null;
  /** A worker's operations endpoint (/healthz, /readyz, /metrics), when HOOKLANE_WORKER_PORT is set. */
  readonly operationsUrl: string | null;
  /** The root key generated at this start (first start of a store only). */
  readonly generatedRootKey: string | null;
  readonly app: FastifyInstance | null;
  readonly engine: DeliveryEngine | null;
  readonly store: Store;
  readonly logger: Logger;
  /** Graceful stop: no new requests, in-flight deliveries get the shutdown grace, then the store closes. */
  close(): Promise<void>;
}

export function createLogger(config: Config): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'hooklane' },
    redact: {
      paths: ['req.headers.authorization', '*.secret', '*.key', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
}

/** The key that seals webhook secrets: configured, or generated once into the embedded store's data dir. */
function loadSecretKey(config: Config): Buffer {
  if (config.secretKey !== null) return Buffer.from(config.secretKey, 'base64');
  if (config.databaseUrl !== null) {
    throw new Error(
      'HOOKLANE_SECRET_KEY is required with PostgreSQL: every process must share the key (openssl rand -base64 32).',
    );
  }
  mkdirSync(config.dataDir, { recursive: true });
  const path = join(config.dataDir, 'secret.key');
  try {
    return Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const key = randomBytes(32);
    writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  }
}

/** The embedded store's database file (also opened by `hooklane migrate`). */
export function sqliteFile(config: Config): string {
  return join(config.dataDir, 'hooklane.db');
}

/**
 * The configured store: PostgreSQL when DATABASE_URL is set, else the embedded SQLite file
 * (which always migrates as it opens). `migrate: false` leaves PostgreSQL migrations to
 * the caller (`hooklane migrate`).
 */
export async function openStore(
  config: Config,
  options: { migrate: boolean } = { migrate: true },
): Promise<Store> {
  const deliveryAttempts = config.retrySchedule.length + 1;
  // Each adapter is loaded only when it is the one configured: an embedded-store process never
  // loads `pg` (~1.3 MB of idle RSS; test/process/store-modules.test.ts).
  if (config.databaseUrl === null) {
    const options = {
      path: sqliteFile(config),
      deliveryAttempts,
      ingestCommitGapMs: config.sqliteCommitGapMs,
    };
    if (config.sqliteThread) {
      const { openThreadedSqliteStore } = await import('./store/sqlite/threaded-store.ts');
      return openThreadedSqliteStore(options);
    }
    const { SqliteStore } = await import('./store/sqlite/index.ts');
    return SqliteStore.open(options);
  }
  const { PostgresStore } = await import('./store/postgres/index.ts');
  const store = new PostgresStore({
    connectionString: config.databaseUrl,
    poolSize: config.databasePoolSize,
    deliveryAttempts,
  });
  if (!options.migrate) return store;
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

export function createSecretBox(config: Config): SecretBox {
  return new SecretBox(
    loadSecretKey(config),
    config.previousSecretKeys.map((key) => Buffer.from(key, 'base64')),
  );
}

/**
 * The composition root: config → logger → store → services → HTTP API and delivery
 * engine, as `config.role` asks. Nothing is started at import time.
 */
export async function startHooklane(config: Config, options: { logger?: Logger } = {}): Promise<Hooklane> {
  const logger = options.logger ?? createLogger(config);
  const secretBox = createSecretBox(config);
  const store = await openStore(config);
  const resealed = await store.resealSecrets((sealed) =>
    secretBox.needsReseal(sealed) ? secretBox.seal(secretBox.open(sealed)) : null,
  );
  if (resealed > 0)
    logger.info({ resealed }, 'webhook secrets re-sealed with the current HOOKLANE_SECRET_KEY');
  // Static header values too: those sealed with a previous key, and those stored in clear by
  // versions that did not seal them.
  const resealedHeaders = await store.resealWebhookHeaders((headers) =>
    resealHeaderValues(headers, secretBox),
  );
  if (resealedHeaders > 0)
    logger.info(
      { webhooks: resealedHeaders },
      'static header values sealed with the current HOOKLANE_SECRET_KEY',
    );
  const metrics = createMetrics(() => store.queueStats());
  const bus = new EventBus({ localEvents: store.notifications === null });
  const ctx: ServiceContext = { config, store, logger, secretBox, metrics, bus, now: Date.now };
  const generatedRootKey = await ensureRootKey(store, config.rootKey, Date.now());

  let engine: DeliveryEngine | null = null;
  let unsubscribe = () => {};
  if (config.role !== 'api') {
    const sender = createSender({
      timeoutMs: config.deliveryTimeoutMs,
      maxResponseBytes: config.maxResponseBodyBytes,
      allowPrivateNetworks: config.allowPrivateNetworks,
      connectionsPerOrigin: config.maxInFlightPerWebhook,
    });
    engine = new DeliveryEngine(
      {
        claimBatchSize: config.claimBatchSize,
        leaseMs: config.leaseMs,
        maxInFlight: config.maxInFlight,
        maxInFlightPerWebhook: config.maxInFlightPerWebhook,
        // Leases are this process's alone only on the embedded store.
        claimAhead: store.backend === 'sqlite' ? config.claimAhead : 0,
        pollIntervalMs: config.pollIntervalMs,
        disableAfterMs: config.disableAfterMs,
        retry: { schedule: config.retrySchedule, jitter: config.retryJitter },
      },
      {
        store,
        sender,
        secretBox,
        metrics,
        logger: logger.child({ component: 'delivery' }),
        now: Date.now,
        random: Math.random,
      },
    );
    const running = engine;
    unsubscribe = bus.onWork(() => running.notify());
    engine.start();
  }

  // Across processes, the store announces new work (to processes that deliver) and ingested
  // events (to processes that serve the API: its `listen` streams). Announced events load
  // concurrently but reach the streams in the order they were announced.
  let announced = Promise.resolve();
  const streamAnnounced = (accountId: string, ids: readonly string[]) => {
    if (!bus.hasListeners(accountId)) return;
    const loading = store.getEvents(accountId, ids);
    announced = announced.then(() =>
      loading.then(
        (events) => bus.deliver(accountId, events),
        (error: unknown) => logger.warn({ err: error }, 'could not load announced events'),
      ),
    );
  };
  const delivering = engine;
  const unlisten = store.notifications
    ? await store.notifications.subscribe({
        ...(delivering && { work: () => delivering.notify() }),
        ...(config.role !== 'worker' && { events: streamAnnounced }),
      })
    : async () => {};
  const stopRetention =
    config.role !== 'api' && config.retentionMs > 0
      ? startRetention({
          store,
          retentionMs: config.retentionMs,
          intervalMs: config.retentionIntervalMs,
          logger,
          now: Date.now,
        })
      : async () => {};

  let app: FastifyInstance | null = null;
  let url: string | null = null;
  let operations: FastifyInstance | null = null;
  let operationsUrl: string | null = null;
  if (config.role !== 'worker') {
    const { serveApi } = await import('./http/serve.ts');
    ({ app, url } = await serveApi(ctx));
  } else if (config.workerPort !== null) {
    const { serveOperations } = await import('./http/serve.ts');
    ({ app: operations, url: operationsUrl } = await serveOperations(ctx, config.workerPort));
  }

  let closing: Promise<void> | null = null;
  return {
    url,
    operationsUrl,
    generatedRootKey,
    app,
    engine,
    store,
    logger,
    close() {
      closing ??= (async () => {
        unsubscribe();
        await app?.close();
        await engine?.stop(config.shutdownGraceMs);
        await operations?.close();
        await stopRetention();
        await unlisten();
        await store.close();
      })();
      return closing;
    },
  };
}
