-- Publishable keys (role 'publishable', made to be put in a web page) keep their origins, events
-- and rate limit as JSON in `policy`. SQLite cannot change a CHECK constraint in place, so the
-- table is rebuilt with the new role allowed.
CREATE TABLE api_keys_new (
  id TEXT PRIMARY KEY,
  account_id TEXT REFERENCES accounts (id),
  role TEXT NOT NULL CHECK (role IN ('root', 'admin', 'viewer', 'ingest', 'publishable')),
  name TEXT,
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  policy TEXT
);
INSERT INTO api_keys_new (id, account_id, role, name, prefix, hash, created_at, revoked_at)
  SELECT id, account_id, role, name, prefix, hash, created_at, revoked_at FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_new RENAME TO api_keys;
-- One generated root key per store: the first process to start wins.
CREATE UNIQUE INDEX api_keys_single_root ON api_keys (role) WHERE role = 'root';
CREATE INDEX api_keys_account ON api_keys (account_id, id);

-- A webhook that is the target of a browser trigger: {"name", "fields"} as JSON, or NULL.
ALTER TABLE webhooks ADD COLUMN trigger_spec TEXT;
