import { signal } from '@preact/signals';

/** Ticks every 30 s so that "3 min ago" stays true without a reload. */
const now = signal(Date.now());
setInterval(() => {
  now.value = Date.now();
}, 30_000);

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });
const exact = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function fromNow(ms: number, at = Date.now()): string {
  const diff = ms - at;
  // Server and browser clocks differ by a little: a moment either side is "just now".
  if (Math.abs(diff) < 10_000) return 'just now';
  for (const [unit, size] of UNITS) {
    if (Math.abs(diff) >= size || unit === 'second') return relative.format(Math.round(diff / size), unit);
  }
  return '';
}

export const exactTime = (ms: number): string => exact.format(ms);

/** A time in the browser's zone: relative in the text, exact on hover and for assistive technology. */
export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <span>—</span>;
  const ms = Date.parse(at);
  void now.value; // re-render on the tick
  return (
    <time dateTime={at} title={exactTime(ms)}>
      {fromNow(ms)}
    </time>
  );
}
