/**
 * Token buckets: a bucket holds up to `burst` tokens, refills at `perSecond`, and each request
 * takes one. Pure: the caller passes the time, so the rules are tested without waiting.
 */

/** A bucket's size and refill rate. */
export interface BucketRate {
  readonly perSecond: number;
  readonly burst: number;
}

/** A bucket's state: its tokens as of `at` (ms). */
export interface Bucket {
  readonly tokens: number;
  readonly at: number;
}

/** The answer to one request: taken, or refused with how long until a token is there. */
export type Take =
  | { readonly ok: true; readonly bucket: Bucket }
  | { readonly ok: false; readonly retryAfterMs: number; readonly bucket: Bucket };

/** The bucket refilled to `now` (a clock gone backwards refills nothing). */
export function refill(bucket: Bucket | undefined, rate: BucketRate, now: number): Bucket {
  if (bucket === undefined) return { tokens: rate.burst, at: now };
  const elapsed = Math.max(0, now - bucket.at);
  return {
    tokens: Math.min(rate.burst, bucket.tokens + (elapsed * rate.perSecond) / 1000),
    at: Math.max(now, bucket.at),
  };
}

/** Takes one token at `now`, or says how long to wait for one. */
export function take(bucket: Bucket | undefined, rate: BucketRate, now: number): Take {
  const full = refill(bucket, rate, now);
  if (full.tokens >= 1) return { ok: true, bucket: { tokens: full.tokens - 1, at: full.at } };
  const retryAfterMs =
    rate.perSecond > 0 ? Math.ceil(((1 - full.tokens) * 1000) / rate.perSecond) : Number.POSITIVE_INFINITY;
  return { ok: false, retryAfterMs, bucket: full };
}

/**
 * Named buckets (per key, per key and client address), at most `capacity` of them: past it the
 * least recently used is forgotten, which only ever gives its owner a full bucket again.
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  /**
   * Takes a token from every named bucket, or from none: a request refused by one bucket does
   * not spend the others. Answers the longest wait among the refusals.
   */
  takeAll(
    wanted: readonly { readonly name: string; readonly rate: BucketRate }[],
    now: number,
  ): { ok: true } | { ok: false; retryAfterMs: number } {
    const results = wanted.map(({ name, rate }) => ({
      name,
      result: take(this.#buckets.get(name), rate, now),
    }));
    const refused = results.filter(({ result }) => !result.ok);
    if (refused.length > 0) {
      return {
        ok: false,
        retryAfterMs: Math.max(...refused.map(({ result }) => (result.ok ? 0 : result.retryAfterMs))),
      };
    }
    for (const { name, result } of results) {
      this.#buckets.delete(name);
      this.#buckets.set(name, result.bucket);
      if (this.#buckets.size > this.#capacity) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
    }
    return { ok: true };
  }

  /** Forgets the buckets whose names start with `prefix` (a key's rate limit changed). */
  forget(prefix: string): void {
    for (const name of this.#buckets.keys()) if (name.startsWith(prefix)) this.#buckets.delete(name);
  }

  get size(): number {
    return this.#buckets.size;
  }
}
