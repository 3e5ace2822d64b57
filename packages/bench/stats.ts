/** The median and the range of a system's bursts: what the bench's tables show. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/** The median (the mean of the middle two for an even count); NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Median, lowest and highest of some values; null for none. */
export function spread(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

/** `median (min–max)`, rounded; the median alone for one value; `—` for none. */
export function formatSpread(value: Spread | null | undefined, digits = 0): string {
  if (!value) return '—';
  const show = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
  return value.n === 1 ? show(value.median) : `${show(value.median)} (${show(value.min)}–${show(value.max)})`;
}

/**
 * The order of the systems in each round: as given in odd rounds, reversed in even ones
 * (A B C, C B A, A B C, ...), so that a machine whose speed drifts during the run weighs
 * on every system alike and no system always follows the same one.
 */
export function roundOrder<T>(systems: readonly T[], rounds: number): T[][] {
  return Array.from({ length: rounds }, (_, round) =>
    round % 2 === 0 ? [...systems] : [...systems].reverse(),
  );
}
