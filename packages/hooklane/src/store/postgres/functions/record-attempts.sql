-- Writes a batch of finished attempts, one array element per attempt: inserts the attempts,
-- moves each delivery on as the caller's plan says (core/attempt-outcome.ts decides it, from
-- the results and which webhooks are enabled; a cancelled delivery stays cancelled), ends the
-- leases, and clears the failure streak of the webhooks the plan names healthy. As three
-- statements in PL/pgSQL their plans are kept, where the single statement it replaced was
-- planned on every call, at about the cost of running it for a small batch. A lost commit
-- means a repeated send, so it needs no fsync of its own (synchronous_commit off).
--
-- The settings pin the plans like the claim's (see claim-due-locked.sql): a generic plan must
-- never scan deliveries, and force_generic_plan stops the replanning measured with
-- pg_stat_statements at 1,000 single-event ingests/s (the failing-streak reset planned on all
-- of its 3,531 calls: 204 ms planning for 20 ms running).
CREATE OR REPLACE FUNCTION hooklane_record_attempts(p_ids text[], p_delivery_ids text[], p_account_ids text[], p_webhook_ids text[], p_numbers integer[], p_started_at bigint[], p_duration_ms integer[], p_urls text[], p_request_headers text[], p_response_status integer[], p_response_headers text[], p_response_bodies text[], p_errors text[], p_attempt_next_at bigint[], p_statuses text[], p_next_attempt_at bigint[], p_updated_at bigint[], p_healthy_webhooks text[])
 RETURNS void
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
 SET enable_hashjoin TO 'off'
 SET enable_mergejoin TO 'off'
 SET jit TO 'off'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  INSERT INTO attempts (id, delivery_id, account_id, webhook_id, number, started_at, duration_ms, url,
    request_headers, response_status, response_headers, response_body, error, next_attempt_at)
  SELECT * FROM unnest(p_ids, p_delivery_ids, p_account_ids, p_webhook_ids, p_numbers, p_started_at,
    p_duration_ms, p_urls, p_request_headers, p_response_status, p_response_headers, p_response_bodies,
    p_errors, p_attempt_next_at);
  UPDATE deliveries d SET
    status = CASE WHEN d.status = 'cancelled' THEN 'cancelled' ELSE r.status END,
    next_attempt_at = CASE WHEN d.status <> 'cancelled' THEN r.next_attempt_at END,
    attempt_count = r.number, attempts_left = GREATEST(d.attempts_left - 1, 0),
    lease_until = 0, last_status = r.last_status, last_error = r.last_error, updated_at = r.updated_at
  FROM unnest(p_delivery_ids, p_statuses, p_numbers, p_next_attempt_at, p_response_status, p_errors, p_updated_at)
    AS r(id, status, number, next_attempt_at, last_status, last_error, updated_at)
  WHERE d.id = r.id;
  UPDATE webhooks SET failing_since = NULL WHERE id = ANY(p_healthy_webhooks) AND failing_since IS NOT NULL;
END
$function$;
