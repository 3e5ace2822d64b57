-- Publishable keys (role 'publishable', made to be put in a web page) keep their origins, events
-- and rate limit as JSON text in `policy`.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check
  CHECK (role IN ('root', 'admin', 'viewer', 'ingest', 'publishable'));
ALTER TABLE api_keys ADD COLUMN policy text;

-- A webhook that is the target of a browser trigger: {"name", "fields"} as JSON text, or NULL.
ALTER TABLE webhooks ADD COLUMN trigger_spec text;
