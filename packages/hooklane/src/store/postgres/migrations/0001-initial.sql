-- Hooklane schema, PostgreSQL. Times are unix milliseconds; JSON columns hold JSON text.
CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  account_id TEXT REFERENCES accounts (id),
  role TEXT NOT NULL CHECK (role IN ('root', 'admin', 'viewer', 'ingest')),
  name TEXT,
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
-- One generated root key per store: the first process to start wins.
CREATE UNIQUE INDEX api_keys_single_root ON api_keys (role) WHERE role = 'root';
CREATE INDEX api_keys_account ON api_keys (account_id, id);

CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  content_ids TEXT,
  format TEXT NOT NULL,
  batch_window_ms INTEGER NOT NULL DEFAULT 0,
  headers TEXT NOT NULL DEFAULT '{}',
  enabled BOOLEAN NOT NULL,
  disabled_reason TEXT,
  failing_since BIGINT,
  signed BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX webhooks_account ON webhooks (account_id, id);

CREATE TABLE webhook_secrets (
  seq BIGSERIAL PRIMARY KEY,
  webhook_id TEXT NOT NULL,
  sealed TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT
);
CREATE INDEX webhook_secrets_webhook ON webhook_secrets (webhook_id, created_at);

CREATE TABLE events (
  account_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  type_id TEXT,
  user_id TEXT NOT NULL,
  content_id TEXT,
  occurred_at BIGINT NOT NULL,
  ingested_at BIGINT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (account_id, id)
);
CREATE INDEX events_ingested ON events (ingested_at);

CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled')),
  format TEXT NOT NULL,
  webhook_name TEXT NOT NULL,
  batch_user_id TEXT,
  attempt_count INTEGER NOT NULL DEFAULT 0,
  attempts_left INTEGER NOT NULL,
  next_attempt_at BIGINT,
  lease_until BIGINT NOT NULL DEFAULT 0,
  last_status INTEGER,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
-- The queue: only pending rows, in due order, overall and per webhook (claims take each
-- webhook's oldest due rows up to its free slots, never scanning another's backlog).
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX deliveries_queue ON deliveries (webhook_id, next_attempt_at, id) WHERE status = 'pending';
-- In flight: leased rows, counted per webhook against its cap (leases reset to 0 when done).
CREATE INDEX deliveries_leased ON deliveries (webhook_id) WHERE lease_until > 0 AND status = 'pending';
CREATE INDEX deliveries_account ON deliveries (account_id, id);
-- Per webhook by time (lists, recover). Not keyed by status: the claim's ordered seek must use deliveries_queue.
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, created_at);
CREATE INDEX deliveries_created ON deliveries (created_at);
CREATE INDEX deliveries_event ON deliveries (account_id, event_id);
-- A usetiful batch still collecting events: pending, never attempted.
CREATE INDEX deliveries_open_batch ON deliveries (webhook_id, batch_user_id)
  WHERE status = 'pending' AND attempt_count = 0 AND batch_user_id IS NOT NULL;

-- The events of a batched (usetiful) delivery, in arrival order.
CREATE TABLE delivery_batch_events (
  delivery_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  account_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (delivery_id, position)
);
CREATE INDEX delivery_batch_events_event ON delivery_batch_events (account_id, event_id);

CREATE TABLE attempts (
  id TEXT PRIMARY KEY,
  delivery_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  number INTEGER NOT NULL,
  started_at BIGINT NOT NULL,
  duration_ms INTEGER NOT NULL,
  url TEXT NOT NULL,
  request_headers TEXT NOT NULL,
  response_status INTEGER,
  response_headers TEXT,
  response_body TEXT,
  error TEXT,
  next_attempt_at BIGINT
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, number);
