-- Attempts lose the unique index their TEXT PRIMARY KEY made: no query looks an attempt up by
-- its id (a delivery's attempts are read through attempts_delivery), and ids are generated
-- unique (core/ids.ts). The index was a third B-tree written by every result commit: 3 of its
-- 23 pages in packages/bench/probes/sqlite-bytes.ts, and ~45 bytes per attempt on disk.
-- SQLite cannot drop a primary key in place, so the table is rebuilt once.
CREATE TABLE attempts_new (
  id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  number INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  url TEXT NOT NULL,
  request_headers TEXT NOT NULL,
  response_status INTEGER,
  response_headers TEXT,
  response_body TEXT,
  error TEXT,
  next_attempt_at INTEGER
);
INSERT INTO attempts_new (id, delivery_id, account_id, webhook_id, number, started_at, duration_ms, url,
    request_headers, response_status, response_headers, response_body, error, next_attempt_at)
  SELECT id, delivery_id, account_id, webhook_id, number, started_at, duration_ms, url,
    request_headers, response_status, response_headers, response_body, error, next_attempt_at
  FROM attempts ORDER BY rowid;
DROP TABLE attempts;
ALTER TABLE attempts_new RENAME TO attempts;
CREATE INDEX attempts_delivery ON attempts (delivery_id, number);
