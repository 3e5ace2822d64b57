-- A delivery names its event by the event's integer key instead of its id. The index by
-- (account_id, event_id) was keyed by ids senders choose at random: each new delivery landed on
-- a page of its own, about one page written per event, a fifth of all bytes written per event
-- (packages/bench/probes/sqlite-bytes.ts). Event keys grow with ingest, so their index takes
-- new entries at its end, a page or two per commit. The key is an explicit INTEGER PRIMARY KEY
-- (the rowid itself), which VACUUM keeps: a plain rowid may be renumbered. The old rowids carry
-- over, so the table is rebuilt once, in its current order.
CREATE TABLE events_keyed (
  seq INTEGER PRIMARY KEY,
  account_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  type_id TEXT,
  user_id TEXT NOT NULL,
  content_id TEXT,
  occurred_at INTEGER NOT NULL,
  ingested_at INTEGER NOT NULL,
  body TEXT NOT NULL
);
INSERT INTO events_keyed (seq, account_id, id, name, type_id, user_id, content_id, occurred_at, ingested_at, body)
  SELECT rowid, account_id, id, name, type_id, user_id, content_id, occurred_at, ingested_at, body FROM events
  ORDER BY rowid;
DROP TABLE events;
ALTER TABLE events_keyed RENAME TO events;
CREATE UNIQUE INDEX events_key ON events (account_id, id);
CREATE INDEX events_ingested ON events (ingested_at);

-- The delivery keeps `event_id` (what the API shows); `event_seq` is what queries join on.
ALTER TABLE deliveries ADD COLUMN event_seq INTEGER;
UPDATE deliveries SET event_seq = (
  SELECT e.seq FROM events e WHERE e.account_id = deliveries.account_id AND e.id = deliveries.event_id
);
DROP INDEX deliveries_event;
CREATE INDEX deliveries_event_seq ON deliveries (event_seq);
