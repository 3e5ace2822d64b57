-- Portal sessions: bearer tokens an account's admin hands to its own customer, limited to a
-- set of capabilities (a JSON array) and to an expiry. Only the token's hash is kept, as for
-- API keys; revoking an account's sessions deletes them.
CREATE TABLE portal_sessions (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  name TEXT,
  capabilities TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX portal_sessions_account ON portal_sessions (account_id, expires_at);

-- Every process keeps the sessions it looked up while it hears config changes (like API keys):
-- a revocation, from any process or from SQL, is announced to all of them at once. Per row, so
-- that clearing an account's expired sessions when there are none announces nothing (the
-- notifications of one transaction are sent once).
CREATE TRIGGER portal_sessions_changed AFTER UPDATE OR DELETE ON portal_sessions
  FOR EACH ROW EXECUTE FUNCTION hooklane_config_changed();

-- Account stats count an account's deliveries of a time window by webhook and outcome: every
-- column they read is in this index, so the count can be an index-only scan.
CREATE INDEX deliveries_account_created ON deliveries (account_id, created_at, webhook_id, status, attempt_count);
-- An account's oldest pending delivery, without walking its finished ones.
CREATE INDEX deliveries_account_pending ON deliveries (account_id, created_at, id) WHERE status = 'pending';
