import { formatDuration, parseDuration } from './core/durations.ts';

/**
 * The parsers of settings' texts (src/config.ts). Each gets the trimmed text, or null when the
 * variable is unset and the setting has no default (only the optional ones accept that), and
 * returns the value or what was wrong with the text.
 */

/** What a setting's text was not, in words an operator can act on. */
export class Invalid {
  readonly problem: string;
  constructor(problem: string) {
    this.problem = problem;
  }
}

export interface ParseContext {
  readonly name: string;
  /** The directory relative paths are resolved against. */
  readonly cwd: string;
}

export const anyText = (text: string | null): string => text ?? '';
export const optionalText = (text: string | null): string | null => text;

export function int(min: number, max: number) {
  return (text: string | null, { name }: ParseContext): number | Invalid => {
    const value = Number(text);
    return text !== null && Number.isInteger(value) && value >= min && value <= max
      ? value
      : new Invalid(`${name} must be an integer from ${min} to ${max} (got "${text}")`);
  };
}

export function duration(minMs = 0, maxMs = Number.POSITIVE_INFINITY) {
  return (text: string | null, { name }: ParseContext): number | Invalid => {
    const value = parseDuration(text ?? '');
    if (value !== undefined && value >= minMs && value <= maxMs) return value;
    const range = Number.isFinite(maxMs)
      ? `from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`
      : `at least ${formatDuration(minMs)}`;
    return new Invalid(
      `${name} must be a duration such as 500ms, 15s, 5m, 2h or 5d, ${range} (got "${text}")`,
    );
  };
}

export function bool(text: string | null, { name }: ParseContext): boolean | Invalid {
  const raw = (text ?? '').toLowerCase();
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  if (raw === 'false' || raw === '0' || raw === 'no') return false;
  return new Invalid(`${name} must be true or false (got "${raw}")`);
}

export function oneOf<T extends string>(values: readonly T[], problem: (got: string) => string) {
  return (text: string | null): T | Invalid =>
    values.includes(text as T) ? (text as T) : new Invalid(problem(text ?? ''));
}

export const isSecretKey = (text: string): boolean => Buffer.from(text, 'base64').length === 32;
