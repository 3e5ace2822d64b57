-- The queue claim as one function, so that a worker claims in one round trip instead of
-- four (BEGIN, lock, claim, COMMIT). Inside it, the claim statement takes its snapshot
-- after the advisory lock (so it sees every lease the previous claimer committed, and
-- per-webhook caps hold exactly across workers). A lease needs no fsync of its own: one
-- lost in a crash means a repeated send, which at-least-once delivery allows.
--
-- The claim never scans past a saturated webhook's backlog: a loose index scan lists the
-- webhooks that have pending deliveries (one seek each), leased rows give each one's
-- requests in flight across all processes, and for each webhook with free slots a LATERAL
-- seek takes its oldest due rows up to those slots (FOR UPDATE SKIP LOCKED); the first
-- p_limit in due order are leased until p_lease_until.
CREATE FUNCTION hooklane_claim_due(p_now BIGINT, p_lease_until BIGINT, p_cap INTEGER, p_limit INTEGER)
RETURNS SETOF deliveries
LANGUAGE plpgsql
-- Plain index scans, never bitmap scans: only they mark the index entries of dead row
-- versions (every lease and result leaves some) so that later claims skip them.
SET enable_bitmapscan = off
AS $$
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
  )
  UPDATE deliveries SET lease_until = p_lease_until
  FROM chosen WHERE deliveries.id = chosen.id
  RETURNING deliveries.*;
END
$$;
