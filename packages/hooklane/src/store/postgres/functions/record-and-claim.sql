-- Writes finished attempts and claims the next deliveries in one round trip and one
-- transaction, where the claim sees the leases the write has just ended. A slot of a webhook's
-- cap stays leased until its attempt is written, and then waits for the next claim's round trip:
-- with one webhook that cycle (send, write, claim), not CPU, bounds throughput. The claim lock
-- is taken after the write, so it is held only for the claim and the commit.
CREATE OR REPLACE FUNCTION hooklane_record_and_claim(p_ids text[], p_delivery_ids text[], p_account_ids text[], p_webhook_ids text[], p_numbers integer[], p_started_at bigint[], p_duration_ms integer[], p_urls text[], p_request_headers text[], p_response_status integer[], p_response_headers text[], p_response_bodies text[], p_errors text[], p_attempt_next_at bigint[], p_statuses text[], p_next_attempt_at bigint[], p_updated_at bigint[], p_healthy_webhooks text[], p_now bigint, p_lease_until bigint, p_cap integer, p_limit integer)
 RETURNS TABLE(id text, account_id text, webhook_id text, event_id text, status text, format text, webhook_name text, batch_user_id text, attempt_count integer, attempts_left integer, next_attempt_at bigint, lease_until bigint, last_status integer, last_error text, created_at bigint, updated_at bigint, event_name text, event_type_id text, event_user_id text, event_content_id text, event_occurred_at bigint, event_ingested_at bigint, event_body text, webhook json)
 LANGUAGE plpgsql
 SET jit TO 'off'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
BEGIN
  PERFORM hooklane_record_attempts(p_ids, p_delivery_ids, p_account_ids, p_webhook_ids, p_numbers,
    p_started_at, p_duration_ms, p_urls, p_request_headers, p_response_status, p_response_headers,
    p_response_bodies, p_errors, p_attempt_next_at, p_statuses, p_next_attempt_at, p_updated_at,
    p_healthy_webhooks);
  RETURN QUERY SELECT * FROM hooklane_claim_due(p_now, p_lease_until, p_cap, p_limit);
END
$function$;
