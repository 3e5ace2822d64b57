-- Portal sessions: bearer tokens an account's admin hands to its own customer, limited to a
-- set of capabilities (a JSON array) and to an expiry. Only the token's hash is kept, as for
-- API keys; revoking an account's sessions deletes them.
CREATE TABLE portal_sessions (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  name TEXT,
  capabilities TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX portal_sessions_account ON portal_sessions (account_id, expires_at);

-- Account stats count an account's deliveries of a time window by webhook and outcome: every
-- column they read is in this index, so the count never reads the table.
CREATE INDEX deliveries_account_created ON deliveries (account_id, created_at, webhook_id, status, attempt_count);
-- An account's oldest pending delivery, without walking its finished ones.
CREATE INDEX deliveries_account_pending ON deliveries (account_id, created_at, id) WHERE status = 'pending';
