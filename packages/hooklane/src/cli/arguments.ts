/**
 * Parsers for option values. They throw commander's InvalidArgumentError, which the CLI
 * reports as a usage error (exit 2) naming the option.
 */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../core/durations.ts';

/** `5s`, `250ms`, `2h` (or bare milliseconds) → milliseconds. */
export function durationArg(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined)
    throw new InvalidArgumentError('expected a duration such as 500ms, 15s, 5m, 2h or 1d.');
  return ms;
}

/** A non-negative integer. */
export function integerArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('expected a non-negative integer.');
  }
  return n;
}

/** An ISO 8601 time, or a duration meaning that long ago (`1h` = an hour ago). Returns ISO 8601. */
export function timeArg(value: string, now: number = Date.now()): string {
  const ago = parseDuration(value);
  if (ago !== undefined && !/^\d{4}-/.test(value.trim())) return new Date(now - ago).toISOString();
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new InvalidArgumentError(
      'expected an ISO 8601 time (2025-05-01T12:00:00Z) or a duration ago (30m, 2d).',
    );
  }
  return new Date(ms).toISOString();
}

/** Repeatable, comma-separated list: `--events a,b --events c` → ['a', 'b', 'c']. */
export function listArg(value: string, previous: string[] | undefined): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list.');
  return [...(previous ?? []), ...items];
}

/** Repeatable `Name: value` header → record. */
export function headerArg(
  value: string,
  previous: Record<string, string> | undefined,
): Record<string, string> {
  const colon = value.indexOf(':');
  const name = colon > 0 ? value.slice(0, colon).trim() : '';
  if (name === '') throw new InvalidArgumentError('expected "Name: value".');
  return { ...previous, [name]: value.slice(colon + 1).trim() };
}

/** Repeatable single value → array. */
export function collectArg(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A JSON option value, parsed (the server checks its shape); `example` goes in the usage error. */
export function jsonArg(example: string): (value: string) => unknown {
  return (value) => {
    try {
      return JSON.parse(value);
    } catch {
      throw new InvalidArgumentError(`expected JSON, e.g. '${example}'.`);
    }
  };
}
