import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/**
 * The two signature schemes (Standard Webhooks and Appcues', see docs/delivery.md). The key bytes are the base64-decoded part of a
 * `whsec_` secret, else the secret's UTF-8 bytes.
 */
export function secretKeyBytes(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/** A prepared HMAC key: preparing it once per secret, not per signature, halves signing cost. */
export function signingKey(secret: string): KeyObject {
  return createSecretKey(secretKeyBytes(secret));
}

type Key = Buffer | KeyObject;

/** Appcues: `X-Apc-Signature` = hex HMAC-SHA256(key, "<unix ms>:<body>"). */
export function appcuesSignature(key: Key, timestampMs: number, body: string): string {
  return createHmac('sha256', key).update(`${timestampMs}:`).update(body).digest('hex');
}

/** Standard Webhooks: `v1,` + base64 HMAC-SHA256(key, "<id>.<unix seconds>.<body>"). */
export function standardSignature(key: Key, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest('base64')}`;
}

/**
 * The signing headers of one attempt. `keys` are the valid secrets' key bytes, newest
 * first: Appcues signs with the newest, Standard Webhooks lists one entry per valid key.
 */
export function signatureHeaders(
  keys: readonly Key[],
  webhookId: string,
  nowMs: number,
  body: string,
): Record<string, string> {
  const newest = keys[0];
  if (!newest) return {};
  const seconds = Math.floor(nowMs / 1000);
  return {
    'x-apc-timestamp': String(nowMs),
    'x-apc-signature': appcuesSignature(newest, nowMs, body),
    'webhook-id': webhookId,
    'webhook-timestamp': String(seconds),
    'webhook-signature': keys.map((key) => standardSignature(key, webhookId, seconds, body)).join(' '),
  };
}
