-- Every process keeps the lookups that each request and each ingest make (an API key by its
-- hash; an account's enabled webhooks) in memory while it listens on `hooklane_config`, and
-- drops them when a change is announced there. Announcing from triggers covers every writer:
-- this code's statements, another version's, an operator's SQL. A change the ingest path
-- cannot see (a webhook's failure streak, written by every result batch) announces nothing.
CREATE FUNCTION hooklane_config_changed() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM pg_notify('hooklane_config', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER webhooks_added_or_removed AFTER INSERT OR DELETE ON webhooks
  FOR EACH STATEMENT EXECUTE FUNCTION hooklane_config_changed();

CREATE TRIGGER webhooks_changed AFTER UPDATE ON webhooks
  FOR EACH ROW
  WHEN ((OLD.account_id, OLD.name, OLD.url, OLD.events, OLD.content_ids, OLD.format, OLD.batch_window_ms,
         OLD.headers, OLD.enabled, OLD.signed)
        IS DISTINCT FROM
        (NEW.account_id, NEW.name, NEW.url, NEW.events, NEW.content_ids, NEW.format, NEW.batch_window_ms,
         NEW.headers, NEW.enabled, NEW.signed))
  EXECUTE FUNCTION hooklane_config_changed();

CREATE TRIGGER api_keys_changed AFTER UPDATE OR DELETE ON api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION hooklane_config_changed();
