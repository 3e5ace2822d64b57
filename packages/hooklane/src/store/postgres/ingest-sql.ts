import { EVENTS_CHANNEL, WORK_CHANNEL } from './notifications.ts';

/**
 * A group of ingest requests as one statement (one implicit transaction): the events
 * ($1–$9, in arrival order), then the deliveries planned for them ($10–$15, with $16
 * attempts, due at $17) inserted only for events that were new, then NOTIFYs: workers are
 * woken if anything was queued, and `listen` streams get the new ids per account, chunked
 * under the 8,000-byte payload limit. Returns the new events' keys.
 */
export const ingestSql = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
    $8::bigint[], $9::text[]) WITH ORDINALITY
    AS e(account_id, id, name, type_id, user_id, content_id, occurred_at, ingested_at, body, ord)
),
fresh AS (
  INSERT INTO events (account_id, id, name, type_id, user_id, content_id, occurred_at, ingested_at, body)
  SELECT account_id, id, name, type_id, user_id, content_id, occurred_at, ingested_at, body FROM input ORDER BY ord
  ON CONFLICT DO NOTHING
  RETURNING account_id, id
),
queued AS (
  INSERT INTO deliveries (id, account_id, webhook_id, event_id, status, format, webhook_name, batch_user_id,
    attempts_left, next_attempt_at, created_at, updated_at)
  SELECT d.id, d.account_id, d.webhook_id, d.event_id, 'pending', d.format, d.webhook_name, NULL, $16, $17, $17, $17
  FROM unnest($10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
    AS d(id, account_id, webhook_id, event_id, format, webhook_name)
  JOIN fresh ON fresh.account_id = d.account_id AND fresh.id = d.event_id
  RETURNING 1
),
woken AS (
  SELECT pg_notify('${WORK_CHANNEL}', '') FROM (SELECT 1 FROM queued LIMIT 1) AS anything_queued
),
ordered AS (
  SELECT f.account_id, f.id, i.ord,
    sum(octet_length(to_json(f.id)::text) + 2) OVER (PARTITION BY f.account_id ORDER BY i.ord) / 6000 AS chunk
  FROM fresh f
  JOIN (SELECT account_id, id, min(ord) AS ord FROM input GROUP BY account_id, id) i
    ON i.account_id = f.account_id AND i.id = f.id
),
announced AS (
  SELECT pg_notify('${EVENTS_CHANNEL}', json_build_object('a', account_id, 'e', ids)::text)
  FROM (
    SELECT account_id, chunk, json_agg(id ORDER BY ord) AS ids FROM ordered
    GROUP BY account_id, chunk ORDER BY account_id, chunk
  ) AS chunks
)
SELECT f.account_id, f.id
FROM fresh f, (SELECT count(*) FROM woken) AS w, (SELECT count(*) FROM announced) AS a`;
