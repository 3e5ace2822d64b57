-- Attempts logged before static header values were masked in the log hold them in clear, and
-- they are often a receiver's credentials. Mask them as attempts are logged now: every request
-- header value but those of the headers Hooklane sets itself (SET_BY_HOOKLANE in
-- src/core/static-headers.ts) reads '[hidden]'.
UPDATE attempts SET request_headers = (
  SELECT json_group_object(key, CASE
      WHEN key IN ('content-type', 'user-agent', 'webhook-id', 'webhook-timestamp', 'webhook-signature',
                   'x-apc-timestamp', 'x-apc-signature') THEN value
      ELSE '[hidden]' END)
  FROM json_each(attempts.request_headers)
)
WHERE EXISTS (
  SELECT 1 FROM json_each(attempts.request_headers)
  WHERE key NOT IN ('content-type', 'user-agent', 'webhook-id', 'webhook-timestamp', 'webhook-signature',
                    'x-apc-timestamp', 'x-apc-signature')
    AND value IS NOT '[hidden]'
);
