-- A webhook's payload filter (`filters.match`) and its template (`format: "template"`), each
-- as the user wrote it, as JSON text; null when it has none. `consecutive_failures` counts its
-- failed attempts in a row, for the `hooklane.webhook.failing` event.
ALTER TABLE webhooks ADD COLUMN match_filter TEXT;
ALTER TABLE webhooks ADD COLUMN template TEXT;
ALTER TABLE webhooks ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;

-- The filter and the template decide what ingest and delivery do, so a change to either is
-- announced like the other columns' (the failure count, like the streak, is not).
DROP TRIGGER webhooks_changed ON webhooks;
CREATE TRIGGER webhooks_changed AFTER UPDATE ON webhooks
  FOR EACH ROW
  WHEN ((OLD.account_id, OLD.name, OLD.url, OLD.events, OLD.content_ids, OLD.format, OLD.batch_window_ms,
         OLD.headers, OLD.enabled, OLD.signed, OLD.match_filter, OLD.template)
        IS DISTINCT FROM
        (NEW.account_id, NEW.name, NEW.url, NEW.events, NEW.content_ids, NEW.format, NEW.batch_window_ms,
         NEW.headers, NEW.enabled, NEW.signed, NEW.match_filter, NEW.template))
  EXECUTE FUNCTION hooklane_config_changed();
