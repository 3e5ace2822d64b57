import pg, { type PoolClient } from 'pg';
import type { NotificationHandlers, StoreNotifications } from '../store.ts';
import type { ConfigCache } from './config-cache.ts';
import type { PgConnection } from './connection.ts';

/** NOTIFY channels: new work for workers, ingested event ids for `listen` streams, config changes. */
export const WORK_CHANNEL = 'hooklane_work';
export const EVENTS_CHANNEL = 'hooklane_events';
/** Announced by triggers (migration 0005) when webhooks change or API keys are revoked. */
export const CONFIG_CHANNEL = 'hooklane_config';

/** NOTIFY payloads must stay under 8000 bytes. */
const NOTIFY_PAYLOAD_LIMIT = 7000;

/** Wakes the workers of every process (run in the transaction that created the work). */
export const notifyWorkSql = `SELECT pg_notify('${WORK_CHANNEL}', '')`;

/**
 * Cross-process notifications: a dedicated LISTEN connection that reconnects by itself with
 * backoff. Config changes are heard by every process, which keeps keys and webhooks while it
 * hears them (config-cache.ts).
 */
export function pgNotifications(db: PgConnection, config: ConfigCache): StoreNotifications {
  return { subscribe: (handlers) => subscribe(db, config, handlers) };
}

async function subscribe(db: PgConnection, config: ConfigCache, handlers: NotificationHandlers) {
  const { work, events } = handlers;
  const channels = [...(work ? [WORK_CHANNEL] : []), ...(events ? [EVENTS_CHANNEL] : []), CONFIG_CHANNEL];
  let client: pg.Client | null = null;
  let closed = false;
  let delay = 100;
  const connect = async (): Promise<void> => {
    if (closed) return;
    const next = new pg.Client({ connectionString: db.connectionString });
    next.on('error', () => {});
    next.on('end', () => {
      // Changes are no longer heard: nothing may be kept until they are again.
      if (client === next) {
        config.listening = false;
        config.changed();
      }
      if (!closed) setTimeout(() => void connect(), delay).unref();
    });
    next.on('notification', (message) => {
      if (message.channel === CONFIG_CHANNEL) config.changed();
      else if (message.channel === WORK_CHANNEL) {
        // This process's own writes announced their work in-process already.
        if (!db.ownBackends.has(message.processId)) work?.();
      } else if (message.channel === EVENTS_CHANNEL && message.payload && events) {
        const { a, e } = JSON.parse(message.payload) as { a: string; e: string[] };
        events(a, e);
      }
    });
    try {
      await next.connect();
      for (const channel of channels) await next.query(`LISTEN ${channel}`);
      client = next;
      // Changes made while not listening were missed: start from nothing.
      config.changed();
      config.listening = true;
      delay = 100;
      // Work may have been created while we were not listening.
      work?.();
    } catch {
      await next.end().catch(() => {});
      delay = Math.min(delay * 2, 5000);
    }
  };
  await connect();
  return async () => {
    closed = true;
    config.listening = false;
    config.changed();
    await client?.end().catch(() => {});
  };
}

/** Tells `listen` streams in every process which events arrived (ids only: payloads are capped). */
export async function announceEvents(
  client: PoolClient,
  accountId: string,
  ids: readonly string[],
): Promise<void> {
  let chunk: string[] = [];
  let size = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    await client.query('SELECT pg_notify($1, $2)', [
      EVENTS_CHANNEL,
      JSON.stringify({ a: accountId, e: chunk }),
    ]);
    chunk = [];
    size = 0;
  };
  const envelope = Buffer.byteLength(JSON.stringify({ a: accountId, e: [] }));
  for (const id of ids) {
    // The payload limit is in bytes of the JSON sent: an id of three-byte characters, or of
    // characters JSON escapes, weighs more than its length.
    const weight = Buffer.byteLength(JSON.stringify(id)) + 1;
    if (chunk.length > 0 && envelope + size + weight > NOTIFY_PAYLOAD_LIMIT) await flush();
    chunk.push(id);
    size += weight;
  }
  await flush();
}
