-- A webhook's payload filter (`filters.match`) and its template (`format: "template"`), each
-- as the user wrote it, as JSON text; null when it has none. `consecutive_failures` counts its
-- failed attempts in a row, for the `hooklane.webhook.failing` event.
ALTER TABLE webhooks ADD COLUMN match_filter TEXT;
ALTER TABLE webhooks ADD COLUMN template TEXT;
ALTER TABLE webhooks ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
