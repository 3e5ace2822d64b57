-- A webhook's payload filter (`filters.match`) and its template (`format: "template"`), each
-- as the user wrote it, as JSON text; null when it has none.
ALTER TABLE webhooks ADD COLUMN match_filter TEXT;
ALTER TABLE webhooks ADD COLUMN template TEXT;
