-- Announces on `hooklane_config` that webhooks or API keys changed. Every process keeps the
-- lookups that each request and each ingest make (an API key by its hash; an account's enabled
-- webhooks) in memory while it listens there, and drops them on an announcement. Announcing
-- from triggers (created in migration 0005) covers every writer: this code's statements,
-- another version's, an operator's SQL.
CREATE OR REPLACE FUNCTION hooklane_config_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  PERFORM pg_notify('hooklane_config', '');
  RETURN NULL;
END
$function$;
