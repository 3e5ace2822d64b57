import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A prefixed, time-sortable id (`dlv_01j...`): 48 bits of milliseconds then 80 random
 * bits in Crockford base32, so ids sort by creation time and serve as cursors.
 */
export function newId(prefix: string, nowMs: number = Date.now()): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const random = randomBytes(10);
  let rand = '';
  // 80 bits = 16 base32 characters, taken 5 bits at a time.
  let acc = 0;
  let bits = 0;
  for (const byte of random) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      rand += CROCKFORD[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return `${prefix}_${time}${rand}`;
}

export const ID_PREFIX = {
  account: 'acc',
  key: 'key',
  webhook: 'wh',
  delivery: 'dlv',
  attempt: 'att',
} as const;
