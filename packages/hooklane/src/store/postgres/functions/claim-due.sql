-- The queue claim the engine calls: returns at once when nothing is due, before waiting for the
-- claim lock, and otherwise claims with hooklane_claim_due_locked (which explains the rows).
-- With an API and two workers, every announced ingest wakes both workers and every result write
-- claims again (hooklane_record_and_claim): at steady single-event load two of every three
-- claims found nothing, and each still waited for the lock and ran the whole claim query.
--
-- The probe reads the due index up to the first row nobody holds, on a snapshot taken before
-- the lock, so it can miss a delivery committed a moment later, exactly as a claim made a moment
-- earlier would have: that delivery's own announcement (or the next poll) claims it.
--
-- The settings keep the probe on the due index, in order, on one generic plan (see
-- claim-due-locked.sql).
CREATE OR REPLACE FUNCTION hooklane_claim_due(p_now bigint, p_lease_until bigint, p_cap integer, p_limit integer)
 RETURNS TABLE(id text, account_id text, webhook_id text, event_id text, status text, format text, webhook_name text, batch_user_id text, attempt_count integer, attempts_left integer, next_attempt_at bigint, lease_until bigint, last_status integer, last_error text, created_at bigint, updated_at bigint, event_name text, event_type_id text, event_user_id text, event_content_id text, event_occurred_at bigint, event_ingested_at bigint, event_body text, webhook json)
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
 SET enable_bitmapscan TO 'off'
 SET jit TO 'off'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
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
$function$;
