import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

let lastTime = -1;
let lastRandom: number[] = [];

/**
 * A prefixed, time-sortable id (`dlv_01j...`): 48 bits of milliseconds then 80 random
 * bits in Crockford base32. Within one millisecond a process increments the random part
 * instead of drawing a new one (monotonic ULIDs), so ids also keep creation order, which
 * makes deliveries due at the same time go out first-in, first-out.
 */
export function newId(prefix: string, nowMs: number = Date.now()): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  if (nowMs === lastTime) {
    increment(lastRandom);
  } else {
    lastTime = nowMs;
    lastRandom = toBase32Digits(randomBytes(10));
    // Leave headroom so increments within one millisecond never overflow.
    lastRandom[0] = (lastRandom[0] ?? 0) & 15;
  }
  return `${prefix}_${time}${lastRandom.map((digit) => CROCKFORD[digit]).join('')}`;
}

/** 80 bits as 16 base32 digits, most significant first. */
function toBase32Digits(bytes: Buffer): number[] {
  const digits: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      digits.push((acc >> bits) & 31);
    }
    acc &= (1 << bits) - 1;
  }
  return digits;
}

function increment(digits: number[]): void {
  for (let i = digits.length - 1; i >= 0; i--) {
    const next = (digits[i] ?? 0) + 1;
    digits[i] = next & 31;
    if (next < 32) return;
  }
}

export const ID_PREFIX = {
  account: 'acc',
  key: 'key',
  webhook: 'wh',
  delivery: 'dlv',
  attempt: 'att',
  portalSession: 'ps',
} as const;
