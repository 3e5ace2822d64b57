import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A webhook signing secret: `whsec_` + base64 of 32 random bytes (the Standard Webhooks form). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * What each kind of credential starts with. The prefix says where it is kept, so
 * authentication looks a portal token up among the sessions and a publishable key may come in
 * a query string.
 */
export const KEY_PREFIXES = { root: 'hlr_', account: 'hlk_', publishable: 'hlp_', portal: 'hls_' } as const;

/** An API key or portal token: its kind's prefix, then 32 random bytes. Only its hash is stored. */
export function generateApiKey(kind: keyof typeof KEY_PREFIXES): string {
  return `${KEY_PREFIXES[kind]}${randomBytes(32).toString('base64url')}`;
}

/** Keys are 256-bit random, so a fast hash is the right one (as GitHub and Stripe tokens do). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

const keyIdOf = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 8);

/**
 * Encrypts webhook secrets at rest with AES-256-GCM. The sealed form names the key
 * (`v1.<key id>.<iv>.<tag>.<ciphertext>`), so during a key rotation secrets sealed with a
 * previous key still open, and `needsReseal` finds the ones to seal again.
 */
export class SecretBox {
  readonly keyId: string;
  readonly #key: Buffer;
  readonly #keys: ReadonlyMap<string, Buffer>;

  constructor(key: Buffer, previous: readonly Buffer[] = []) {
    if (key.length !== 32 || previous.some((old) => old.length !== 32))
      throw new Error('secret keys must be 32 bytes');
    this.#key = key;
    this.keyId = keyIdOf(key);
    this.#keys = new Map([...previous, key].map((k) => [keyIdOf(k), k]));
  }

  /**
   * True when `value` has the sealed form (a key id, a 12-byte iv, a 16-byte tag), which no
   * plaintext written before values were sealed is expected to have.
   */
  static isSealed(value: string): boolean {
    return /^v1\.[0-9a-f]{8}\.[\w-]{16}\.[\w-]{22}\.[\w-]*$/.test(value);
  }

  /** True when `sealed` was sealed with a previous key. */
  needsReseal(sealed: string): boolean {
    return sealed.split('.')[1] !== this.keyId;
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url'));
    return ['v1', this.keyId, ...parts].join('.');
  }

  open(sealed: string): string {
    const [version, keyId, iv, tag, ciphertext] = sealed.split('.');
    if (version !== 'v1' || iv === undefined || tag === undefined || ciphertext === undefined) {
      throw new Error('unreadable sealed secret');
    }
    const key = this.#keys.get(keyId ?? '');
    if (!key)
      throw new Error(
        `secret sealed with an unknown key (${keyId}); is HOOKLANE_SECRET_KEY the one it was sealed with?`,
      );
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }
}
