import { createHmac, randomBytes } from 'node:crypto';

/** A webhook secret in the Standard Webhooks form Hooklane generates. */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The key bytes of a `whsec_` secret. */
export function secretKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/**
 * The same two header sets Hooklane sends (Appcues hex over "<ms>:<body>" and Standard
 * Webhooks base64 over "<id>.<s>.<body>"), so every pipeline pays for two HMAC-SHA256 per request.
 */
export function signHeaders(
  key: Buffer,
  id: string,
  body: string,
  nowMs: number = Date.now(),
): Record<string, string> {
  const seconds = Math.floor(nowMs / 1000);
  return {
    'content-type': 'application/json',
    'x-apc-timestamp': String(nowMs),
    'x-apc-signature': createHmac('sha256', key).update(`${nowMs}:`).update(body).digest('hex'),
    'webhook-id': id,
    'webhook-timestamp': String(seconds),
    'webhook-signature': `v1,${createHmac('sha256', key).update(`${id}.${seconds}.`).update(body).digest('base64')}`,
  };
}
