-- Publishable keys (role 'publishable', made to be put in a web page) keep their origins, events
-- and rate limit as JSON text in `policy`.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check
  CHECK (role IN ('root', 'admin', 'viewer', 'ingest', 'publishable'));
ALTER TABLE api_keys ADD COLUMN policy text;

-- A webhook that is the target of a browser trigger: {"name", "fields"} as JSON text, or NULL.
ALTER TABLE webhooks ADD COLUMN trigger_spec text;

-- Which webhook a trigger reaches is read by ingest, so a change to it is announced like the
-- other columns' (the trigger is recreated with every announced column).
DROP TRIGGER webhooks_changed ON webhooks;
CREATE TRIGGER webhooks_changed AFTER UPDATE ON webhooks
  FOR EACH ROW
  WHEN ((OLD.account_id, OLD.name, OLD.url, OLD.events, OLD.content_ids, OLD.format, OLD.batch_window_ms,
         OLD.headers, OLD.enabled, OLD.signed, OLD.match_filter, OLD.template, OLD.trigger_spec)
        IS DISTINCT FROM
        (NEW.account_id, NEW.name, NEW.url, NEW.events, NEW.content_ids, NEW.format, NEW.batch_window_ms,
         NEW.headers, NEW.enabled, NEW.signed, NEW.match_filter, NEW.template, NEW.trigger_spec))
  EXECUTE FUNCTION hooklane_config_changed();
