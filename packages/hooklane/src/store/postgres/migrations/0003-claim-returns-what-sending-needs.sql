-- The claim returns what sending needs, so that a worker claims in one round trip instead of
-- two: each leased delivery with its event (`event_*`, NULL for batched deliveries, whose
-- events load apart) and, on the first row of each webhook, the webhook with its valid
-- signing secrets as JSON (`webhook`: {row, secrets}). One webhook with 32 slots is bound by
-- its claim-send-record cycle (measured: raising the cap to 64 gave +22% end to end), so a
-- round trip saved in that cycle is throughput.
--
-- The lookups run inside the function, on the snapshot the claim takes after the claim lock:
-- a statement around the function would read events with a snapshot taken before the lock,
-- in which a delivery committed meanwhile (and so claimable) has no event yet.
DROP FUNCTION hooklane_claim_due(BIGINT, BIGINT, INTEGER, INTEGER);

CREATE FUNCTION hooklane_claim_due(p_now BIGINT, p_lease_until BIGINT, p_cap INTEGER, p_limit INTEGER)
RETURNS TABLE (
  id TEXT, account_id TEXT, webhook_id TEXT, event_id TEXT, status TEXT, format TEXT, webhook_name TEXT,
  batch_user_id TEXT, attempt_count INTEGER, attempts_left INTEGER, next_attempt_at BIGINT,
  lease_until BIGINT, last_status INTEGER, last_error TEXT, created_at BIGINT, updated_at BIGINT,
  event_name TEXT, event_type_id TEXT, event_user_id TEXT, event_content_id TEXT,
  event_occurred_at BIGINT, event_ingested_at BIGINT, event_body TEXT,
  webhook JSON
)
LANGUAGE plpgsql
-- Plain index scans, never bitmap scans: only they mark the index entries of dead row
-- versions (every lease and result leaves some) so that later claims skip them.
SET enable_bitmapscan = off
-- The claim touches a few rows, by index, whatever the statistics say. PL/pgSQL keeps a
-- session's generic plan once chosen, and one chosen while the tables were small (and never
-- analysed: autovacuum may be off, and a burst outgrows any schedule) scanned all of
-- deliveries for the UPDATE and sorted a webhook's whole backlog instead of reading its
-- queue in order: 2,852 buffers for 7 rows, 25-30 s of PostgreSQL CPU instead of 8 for
-- 20,000 deliveries, in whichever process planned at the wrong moment.
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET enable_sort = off
-- Those settings work by adding a huge cost to what they rule out, which would lift this
-- small query over jit_above_cost: compiled with LLVM on every call, ~1 s each.
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
  PERFORM pg_advisory_xact_lock(7320451982);
  PERFORM set_config('synchronous_commit', 'off', true);
  RETURN QUERY
  WITH RECURSIVE hooks(webhook_id) AS (
    (SELECT d.webhook_id FROM deliveries d WHERE d.status = 'pending' ORDER BY d.webhook_id LIMIT 1)
    UNION ALL
    SELECT (SELECT d.webhook_id FROM deliveries d
            WHERE d.status = 'pending' AND d.webhook_id > hooks.webhook_id
            ORDER BY d.webhook_id LIMIT 1)
    FROM hooks WHERE hooks.webhook_id IS NOT NULL
  ),
  busy AS (
    SELECT d.webhook_id, COUNT(*) AS n FROM deliveries d
    WHERE d.lease_until > 0 AND d.lease_until > p_now AND d.status = 'pending'
    GROUP BY d.webhook_id
  ),
  candidates AS (
    SELECT hooks.webhook_id, LEAST(p_cap - COALESCE(busy.n, 0), p_limit) AS free
    FROM hooks LEFT JOIN busy ON busy.webhook_id = hooks.webhook_id
    WHERE hooks.webhook_id IS NOT NULL AND p_cap - COALESCE(busy.n, 0) > 0
  ),
  due AS (
    SELECT picked.id, picked.next_attempt_at
    FROM candidates CROSS JOIN LATERAL (
      SELECT d.id, d.next_attempt_at FROM deliveries d
      WHERE d.webhook_id = candidates.webhook_id AND d.status = 'pending'
        AND d.next_attempt_at <= p_now AND d.lease_until <= p_now
      ORDER BY d.next_attempt_at, d.id
      LIMIT candidates.free
      FOR UPDATE SKIP LOCKED
    ) AS picked
  ),
  chosen AS (
    SELECT due.id FROM due ORDER BY due.next_attempt_at, due.id LIMIT p_limit
  ),
  leased AS (
    UPDATE deliveries SET lease_until = p_lease_until
    FROM chosen WHERE deliveries.id = chosen.id
    RETURNING deliveries.*
  )
  SELECT l.id, l.account_id, l.webhook_id, l.event_id, l.status, l.format, l.webhook_name,
    l.batch_user_id, l.attempt_count, l.attempts_left, l.next_attempt_at,
    l.lease_until, l.last_status, l.last_error, l.created_at, l.updated_at,
    e.name, e.type_id, e.user_id, e.content_id, e.occurred_at, e.ingested_at, e.body,
    CASE WHEN row_number() OVER (PARTITION BY l.webhook_id ORDER BY l.id) = 1 THEN (
      SELECT json_build_object('row', to_json(w), 'secrets', COALESCE((
        SELECT json_agg(json_build_object('sealed', s.sealed, 'created_at', s.created_at, 'expires_at', s.expires_at)
                        ORDER BY s.created_at DESC, s.seq DESC)
        FROM webhook_secrets s WHERE s.webhook_id = w.id AND (s.expires_at IS NULL OR s.expires_at > p_now)
      ), '[]'))
      FROM webhooks w WHERE w.id = l.webhook_id
    ) END
  FROM leased l
  LEFT JOIN events e ON l.batch_user_id IS NULL AND e.account_id = l.account_id AND e.id = l.event_id;
END
$$;
