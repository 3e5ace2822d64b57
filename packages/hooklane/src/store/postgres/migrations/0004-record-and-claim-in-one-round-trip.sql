-- Finished attempts are written and the next deliveries claimed in one round trip. A slot of
-- a webhook's 32 stays leased until its attempt is written, and then waited for the next
-- claim's round trip: with one webhook that cycle (send, write, claim), not CPU, bounds
-- throughput. The write moves into a function so that one call can write and then claim, in
-- one transaction, where the claim sees the leases the write has just ended.
--
-- hooklane_record_attempts is the statement the engine sent until now (claim-due.ts explains
-- what it does), as three statements in PL/pgSQL, which keeps their plans: the statement was
-- planned on every call, at about the cost of running it for a small batch. Its plans are
-- pinned like the claim's (0003): a generic plan must never scan deliveries.
CREATE FUNCTION hooklane_record_attempts(
  p_ids TEXT[], p_delivery_ids TEXT[], p_account_ids TEXT[], p_webhook_ids TEXT[], p_numbers INTEGER[],
  p_started_at BIGINT[], p_duration_ms INTEGER[], p_urls TEXT[], p_request_headers TEXT[],
  p_response_status INTEGER[], p_response_headers TEXT[], p_response_bodies TEXT[], p_errors TEXT[],
  p_attempt_next_at BIGINT[], p_statuses TEXT[], p_next_attempt_at BIGINT[], p_updated_at BIGINT[],
  p_healthy_webhooks TEXT[]
)
RETURNS VOID
LANGUAGE plpgsql
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  INSERT INTO attempts (id, delivery_id, account_id, webhook_id, number, started_at, duration_ms, url,
    request_headers, response_status, response_headers, response_body, error, next_attempt_at)
  SELECT * FROM unnest(p_ids, p_delivery_ids, p_account_ids, p_webhook_ids, p_numbers, p_started_at,
    p_duration_ms, p_urls, p_request_headers, p_response_status, p_response_headers, p_response_bodies,
    p_errors, p_attempt_next_at);
  UPDATE deliveries d SET
    status = CASE
      WHEN d.status = 'cancelled' THEN 'cancelled'
      WHEN r.status = 'pending' AND NOT COALESCE((SELECT w.enabled FROM webhooks w WHERE w.id = d.webhook_id), false)
        THEN 'failed'
      ELSE r.status END,
    next_attempt_at = CASE
      WHEN d.status <> 'cancelled' AND r.status = 'pending'
        AND COALESCE((SELECT w.enabled FROM webhooks w WHERE w.id = d.webhook_id), false)
        THEN r.next_attempt_at END,
    attempt_count = r.number, attempts_left = GREATEST(d.attempts_left - 1, 0),
    lease_until = 0, last_status = r.last_status, last_error = r.last_error, updated_at = r.updated_at
  FROM unnest(p_delivery_ids, p_statuses, p_numbers, p_next_attempt_at, p_response_status, p_errors, p_updated_at)
    AS r(id, status, number, next_attempt_at, last_status, last_error, updated_at)
  WHERE d.id = r.id;
  UPDATE webhooks SET failing_since = NULL WHERE id = ANY(p_healthy_webhooks) AND failing_since IS NOT NULL;
END
$$;

-- Writes the attempts, then claims as hooklane_claim_due does (its rows, its claim lock, taken
-- after the write so that the lock is held only for the claim and the commit).
CREATE FUNCTION hooklane_record_and_claim(
  p_ids TEXT[], p_delivery_ids TEXT[], p_account_ids TEXT[], p_webhook_ids TEXT[], p_numbers INTEGER[],
  p_started_at BIGINT[], p_duration_ms INTEGER[], p_urls TEXT[], p_request_headers TEXT[],
  p_response_status INTEGER[], p_response_headers TEXT[], p_response_bodies TEXT[], p_errors TEXT[],
  p_attempt_next_at BIGINT[], p_statuses TEXT[], p_next_attempt_at BIGINT[], p_updated_at BIGINT[],
  p_healthy_webhooks TEXT[],
  p_now BIGINT, p_lease_until BIGINT, p_cap INTEGER, p_limit INTEGER
)
RETURNS TABLE (
  id TEXT, account_id TEXT, webhook_id TEXT, event_id TEXT, status TEXT, format TEXT, webhook_name TEXT,
  batch_user_id TEXT, attempt_count INTEGER, attempts_left INTEGER, next_attempt_at BIGINT,
  lease_until BIGINT, last_status INTEGER, last_error TEXT, created_at BIGINT, updated_at BIGINT,
  event_name TEXT, event_type_id TEXT, event_user_id TEXT, event_content_id TEXT,
  event_occurred_at BIGINT, event_ingested_at BIGINT, event_body TEXT,
  webhook JSON
)
LANGUAGE plpgsql
SET jit = off
AS $$
BEGIN
  PERFORM hooklane_record_attempts(p_ids, p_delivery_ids, p_account_ids, p_webhook_ids, p_numbers,
    p_started_at, p_duration_ms, p_urls, p_request_headers, p_response_status, p_response_headers,
    p_response_bodies, p_errors, p_attempt_next_at, p_statuses, p_next_attempt_at, p_updated_at,
    p_healthy_webhooks);
  RETURN QUERY SELECT * FROM hooklane_claim_due(p_now, p_lease_until, p_cap, p_limit);
END
$$;
