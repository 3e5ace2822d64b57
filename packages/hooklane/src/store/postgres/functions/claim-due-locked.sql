-- The queue claim, under the claim lock (hooklane_claim_due calls it once something is due).
-- One call claims in one round trip: the claim statement takes its snapshot after the advisory
-- lock, so it sees every lease the previous claimer committed and per-webhook caps hold exactly
-- across workers. A lease needs no fsync of its own (synchronous_commit off): one lost in a
-- crash means a repeated send, which at-least-once delivery allows.
--
-- It never scans past a saturated webhook's backlog: a loose index scan lists the webhooks that
-- have pending deliveries (one seek each), leased rows give each one's requests in flight across
-- all processes, and for each webhook with free slots a LATERAL seek takes its oldest due rows up
-- to those slots (FOR UPDATE SKIP LOCKED); the first p_limit in due order are leased until
-- p_lease_until. Each leased delivery comes back with its event (`event_*`, NULL for batched
-- deliveries, whose events load apart) and, on the first row of each webhook, the webhook with
-- its valid signing secrets as JSON (`webhook`: {row, secrets}), read on the same snapshot, so
-- a worker needs no second round trip before sending.
--
-- The settings pin the plans to a few index scans, whatever the statistics say:
-- - enable_bitmapscan off: only plain index scans mark the index entries of dead row versions
--   (every lease and result leaves some) so that later claims skip them.
-- - enable_seqscan, enable_hashjoin, enable_mergejoin, enable_sort off: a generic plan chosen
--   while the tables were small (and never analysed) scanned all of deliveries for the UPDATE
--   and sorted a webhook's whole backlog: 2,852 buffers for 7 rows, 25-30 s of PostgreSQL CPU
--   instead of 8 for 20,000 deliveries.
-- - jit off: those settings add a huge cost to what they rule out, which would lift this small
--   query over jit_above_cost and compile it with LLVM on every call (~1 s each).
-- - plan_cache_mode force_generic_plan: with that huge cost on custom and generic plans alike,
--   the plan cache never settled on the generic plan and replanned on every call.
CREATE OR REPLACE FUNCTION hooklane_claim_due_locked(p_now bigint, p_lease_until bigint, p_cap integer, p_limit integer)
 RETURNS TABLE(id text, account_id text, webhook_id text, event_id text, status text, format text, webhook_name text, batch_user_id text, attempt_count integer, attempts_left integer, next_attempt_at bigint, lease_until bigint, last_status integer, last_error text, created_at bigint, updated_at bigint, event_name text, event_type_id text, event_user_id text, event_content_id text, event_occurred_at bigint, event_ingested_at bigint, event_body text, webhook json)
 LANGUAGE plpgsql
 SET enable_bitmapscan TO 'off'
 SET enable_seqscan TO 'off'
 SET enable_hashjoin TO 'off'
 SET enable_mergejoin TO 'off'
 SET enable_sort TO 'off'
 SET jit TO 'off'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
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
$function$;
