-- A claim that finds nothing due returns before it takes the claim lock. With an API and two
-- workers, every announced ingest wakes both workers, and every result write claims again in
-- the same call (0004): at steady single-event load two of every three claims found nothing,
-- and each of them still waited for the claim lock (held by the other worker's claim) and ran
-- the whole claim query.
--
-- The probe reads the due index up to the first row nobody holds. It runs on a snapshot taken
-- before the lock, so it can miss a delivery committed a moment later, exactly as a claim made
-- a moment earlier would have: that delivery's own announcement (or the next poll) claims it.
ALTER FUNCTION hooklane_claim_due(BIGINT, BIGINT, INTEGER, INTEGER) RENAME TO hooklane_claim_due_locked;

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
-- The due index, in order, whatever the statistics say (see 0003).
SET enable_seqscan = off
SET enable_bitmapscan = off
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM deliveries d
    WHERE d.status = 'pending' AND d.next_attempt_at <= p_now AND d.lease_until <= p_now
  ) THEN
    RETURN;
  END IF;
  RETURN QUERY SELECT * FROM hooklane_claim_due_locked(p_now, p_lease_until, p_cap, p_limit);
END
$$;
