import type { PoolClient } from 'pg';
import { anyBatches, batchHasRoom, fanOut, type PlannedDelivery } from '../../core/fan-out.ts';
import { ID_PREFIX, newId } from '../../core/ids.ts';
import type { Webhook } from '../../core/model.ts';
import type { StoreParts } from '../assembled-store.ts';
import { commitIsolating, type QueuedIngest } from '../queued-ingest.ts';
import { eventValues, toDelivery, toWebhook } from '../rows.ts';
import { SQL } from '../shared-sql.ts';
import { type IngestOutcome, type NewEvent, StoreUnavailableError } from '../store.ts';
import type { ConfigCache } from './config-cache.ts';
import type { PgConnection, Queryable } from './connection.ts';
import { ingestSql } from './ingest-sql.ts';
import { announceEvents, notifyWorkSql } from './notifications.ts';

/** Ingest transactions running at once per process; each carries every request queued meanwhile. */
const INGEST_FLUSHES = 4;
/**
 * While an ingest transaction is in flight, another starts only for at least this many queued
 * events; fewer wait for it to end and share the next one. A batch request, or a queue that
 * has grown under load, still starts its own at once.
 */
const GROUP_WHILE_BUSY = 50;
const MAX_EVENTS_PER_FLUSH = 5000;

type WebhooksOf = Map<string, Webhook[]>;

const keyOf = (accountId: string, eventId: string) => `${accountId}\u0000${eventId}`;

/**
 * Stores events, with their deliveries, in the transaction of `client` (a result write's, for
 * operational events).
 */
export type PgIngestWithin = (
  client: PoolClient,
  events: readonly (NewEvent & { accountId: string })[],
  now: number,
) => Promise<void>;

/**
 * Ingest with group commit: at most INGEST_FLUSHES groups are written at once, and each takes
 * every request queued meanwhile, so under load one commit (and one set of round trips)
 * serves many 202s, while a lone request still commits at once. Small requests that come
 * while one commits wait for it (GROUP_WHILE_BUSY): at 1,000 single-event requests/s each
 * went alone into a transaction of its own, with its own announcement and its own wake-up
 * of the engine: about 1.25 events per commit.
 */
export function pgIngest(
  db: PgConnection,
  config: ConfigCache,
  deliveryAttempts: number,
): StoreParts['ingest'] & { ingestWithin: PgIngestWithin } {
  const queue: QueuedIngest[] = [];
  let flushes = 0;

  const pump = (): void => {
    while (flushes < INGEST_FLUSHES && queue.length > 0) {
      let events = 0;
      let take = 0;
      while (take < queue.length && events < MAX_EVENTS_PER_FLUSH) {
        events += queue[take]?.events.length ?? 0;
        take++;
      }
      if (flushes > 0 && events < GROUP_WHILE_BUSY) return;
      const group = queue.splice(0, take);
      flushes++;
      void commit(group).finally(() => {
        flushes--;
        pump();
      });
    }
  };

  /** Writes a group (commitIsolating: a refused request fails alone). */
  const commit = (group: readonly QueuedIngest[]): Promise<void> => {
    // The accounts' webhooks, looked up once for the group and its halves.
    let webhooksOf: WebhooksOf | null = null;
    return commitIsolating(
      group,
      async (part) => {
        webhooksOf ??= await config.enabledWebhooks(
          [...new Set(part.map((request) => request.accountId))],
          (accounts) => enabledWebhooksOf(db, accounts),
        );
        // Usetiful batches need row locks: groups that may touch one take the transaction path.
        return anyBatches(webhooksOf.values())
          ? db.transaction((client) => ingestWithLocks(client, part))
          : ingestInOneStatement(part, webhooksOf);
      },
      (error) => error instanceof StoreUnavailableError,
    );
  };

  /**
   * The common ingest, in one statement (one statement is one transaction): it inserts the
   * events, the deliveries of those that were new, and the notifications.
   */
  const ingestInOneStatement = async (
    group: readonly QueuedIngest[],
    webhooksOf: WebhooksOf,
  ): Promise<IngestOutcome[]> => {
    const now = group[0]?.now ?? Date.now();
    // The first of repeated ids in the group is the one that may be new; the rest are duplicates.
    const seen = new Set<string>();
    const events: {
      index: number;
      accountId: string;
      event: NewEvent;
      first: boolean;
      deliveries: number;
    }[] = [];
    const planned: (PlannedDelivery & { id: string })[] = [];
    for (const [index, request] of group.entries()) {
      for (const event of request.events) {
        const key = keyOf(request.accountId, event.id);
        const first = !seen.has(key);
        seen.add(key);
        let deliveries = 0;
        if (first) {
          for (const delivery of fanOut(webhooksOf.get(request.accountId) ?? [], event, now)) {
            planned.push({ ...delivery, id: newId(ID_PREFIX.delivery, now) });
            deliveries++;
          }
        }
        events.push({ index, accountId: request.accountId, event, first, deliveries });
      }
    }
    // A named statement: planning it cost as much as running it for a small group. It reads no
    // table but through its inserts' unique indexes, so no generic plan can go astray.
    const { rows } = await db.query<{ account_id: string; id: string }>(
      ingestSql,
      [
        ...eventColumns(group),
        planned.map((d) => d.id),
        planned.map((d) => d.webhook.accountId),
        planned.map((d) => d.webhook.id),
        planned.map((d) => d.eventId),
        planned.map((d) => d.webhook.format),
        planned.map((d) => d.webhook.name),
        deliveryAttempts,
        now,
      ],
      db.pool,
      'hooklane_ingest',
    );
    const fresh = new Set(rows.map((row) => keyOf(row.account_id, row.id)));
    const outcomes = group.map((request) => ({
      inserted: 0,
      duplicates: request.events.length,
      deliveriesCreated: 0,
    }));
    for (const item of events) {
      const outcome = outcomes[item.index];
      if (!item.first || !fresh.has(keyOf(item.accountId, item.event.id)) || !outcome) continue;
      outcome.inserted++;
      outcome.duplicates--;
      outcome.deliveriesCreated += item.deliveries;
    }
    return outcomes;
  };

  /** The ingest of groups whose webhooks batch per user, in a transaction with row locks. */
  const ingestWithLocks = async (client: PoolClient, group: readonly QueuedIngest[]) => {
    const inserted = await client.query<{ account_id: string; id: string }>(
      `INSERT INTO events (account_id, id, name, type_id, user_id, content_id, occurred_at, ingested_at, body)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
         $8::bigint[], $9::text[])
       ON CONFLICT DO NOTHING RETURNING account_id, id`,
      eventColumns(group),
    );
    const fresh = new Set(inserted.rows.map((row) => keyOf(row.account_id, row.id)));
    const webhooksOf = await enabledWebhooksOf(
      db,
      [...new Set(inserted.rows.map((row) => row.account_id))],
      client,
    );
    const alone: PlannedDelivery[] = [];
    const announced = new Map<string, string[]>();
    const outcomes: IngestOutcome[] = [];
    for (const { accountId, events, now } of group) {
      let insertedCount = 0;
      let deliveriesCreated = 0;
      for (const event of events) {
        if (!fresh.delete(keyOf(accountId, event.id))) continue;
        insertedCount++;
        announced.set(accountId, [...(announced.get(accountId) ?? []), event.id]);
        for (const delivery of fanOut(webhooksOf.get(accountId) ?? [], event, now)) {
          deliveriesCreated++;
          if (delivery.batch === null) alone.push(delivery);
          else if (!(await appendToOpenBatch(client, delivery, now))) {
            const [id] = await insertDeliveries(client, [delivery], now);
            await client.query(SQL.insertBatchEvent, [id, 0, accountId, event.id]);
          }
        }
      }
      outcomes.push({
        inserted: insertedCount,
        duplicates: events.length - insertedCount,
        deliveriesCreated,
      });
    }
    if (alone.length > 0) await insertDeliveries(client, alone, group[0]?.now ?? Date.now());
    if (outcomes.some((outcome) => outcome.deliveriesCreated > 0)) await client.query(notifyWorkSql);
    for (const [accountId, ids] of announced) await announceEvents(client, accountId, ids);
    return outcomes;
  };

  /** Serialised per (webhook, user) with an advisory lock, so batches hold across API processes. */
  const appendToOpenBatch = async (client: PoolClient, delivery: PlannedDelivery, now: number) => {
    const { webhook, batch } = delivery;
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `${webhook.id}/${batch?.userId}`,
    ]);
    const { rows } = await client.query(
      `SELECT d.id, (SELECT COUNT(*) FROM delivery_batch_events b WHERE b.delivery_id = d.id) AS size
       FROM deliveries d
       WHERE d.webhook_id = $1 AND d.batch_user_id = $2 AND d.status = 'pending' AND d.attempt_count = 0
         AND d.next_attempt_at > $3 AND d.lease_until <= $3
       ORDER BY d.id DESC LIMIT 1 FOR UPDATE`,
      [webhook.id, batch?.userId, now],
    );
    const open = rows[0];
    if (!open || !batchHasRoom(Number(open.size))) return false;
    await client.query(SQL.insertBatchEvent, [
      open.id,
      Number(open.size),
      webhook.accountId,
      delivery.eventId,
    ]);
    return true;
  };

  const insertDeliveries = async (client: PoolClient, planned: readonly PlannedDelivery[], now: number) => {
    const ids = planned.map(() => newId(ID_PREFIX.delivery, now));
    await client.query(
      `INSERT INTO deliveries (id, account_id, webhook_id, event_id, status, format, webhook_name, batch_user_id,
         attempts_left, next_attempt_at, created_at, updated_at)
       SELECT d.id, d.account_id, d.webhook_id, d.event_id, 'pending', d.format, d.webhook_name, d.batch_user_id,
         $9, d.due_at, $10, $10
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])
         AS d(id, account_id, webhook_id, event_id, format, webhook_name, batch_user_id, due_at)`,
      [
        ids,
        planned.map((d) => d.webhook.accountId),
        planned.map((d) => d.webhook.id),
        planned.map((d) => d.eventId),
        planned.map((d) => d.webhook.format),
        planned.map((d) => d.webhook.name),
        planned.map((d) => d.batch?.userId ?? null),
        planned.map((d) => d.dueAt),
        deliveryAttempts,
        now,
      ],
    );
    return ids;
  };

  return {
    async ingestWithin(client, events, now) {
      const group = [...new Set(events.map((event) => event.accountId))].map(
        (accountId): QueuedIngest => ({
          accountId,
          events: events.filter((event) => event.accountId === accountId),
          now,
          resolve: () => {},
          reject: () => {},
        }),
      );
      if (group.length > 0) await ingestWithLocks(client, group);
    },

    ingest(accountId, events, now) {
      return new Promise((resolve, reject) => {
        queue.push({ accountId, events, now, resolve, reject });
        pump();
      });
    },

    insertTestDelivery(webhook, event, now) {
      return db.transaction(async (client) => {
        await client.query(SQL.insertEvent, eventValues(webhook.accountId, event, now));
        const [id] = await insertDeliveries(
          client,
          [{ webhook, eventId: event.id, batch: null, dueAt: now }],
          now,
        );
        await client.query(notifyWorkSql);
        const { rows } = await client.query(SQL.delivery, [id]);
        return toDelivery(rows[0] ?? {});
      });
    },
  };
}

/** The enabled webhooks of these accounts, by account. */
async function enabledWebhooksOf(
  db: PgConnection,
  accounts: readonly string[],
  on: Queryable = db.pool,
): Promise<WebhooksOf> {
  const webhooksOf: WebhooksOf = new Map();
  if (accounts.length === 0) return webhooksOf;
  const { rows } = await db.query(
    'SELECT * FROM webhooks WHERE account_id = ANY($1) AND enabled',
    [accounts],
    on,
  );
  for (const webhook of rows.map(toWebhook)) {
    webhooksOf.set(webhook.accountId, [...(webhooksOf.get(webhook.accountId) ?? []), webhook]);
  }
  return webhooksOf;
}

/** A group's events as the nine column arrays both ingest paths insert (`unnest($1 … $9)`). */
function eventColumns(group: readonly QueuedIngest[]): unknown[][] {
  const rows = group.flatMap(({ accountId, now, events }) =>
    events.map((event) => ({ accountId, now, event })),
  );
  return [
    rows.map((r) => r.accountId),
    rows.map((r) => r.event.id),
    rows.map((r) => r.event.name),
    rows.map((r) => r.event.typeId),
    rows.map((r) => r.event.userId),
    rows.map((r) => r.event.contentId),
    rows.map((r) => r.event.occurredAt),
    rows.map((r) => r.now),
    rows.map((r) => r.event.body),
  ];
}
