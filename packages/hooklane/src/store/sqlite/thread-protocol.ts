import type { Store } from '../store.ts';

/** A Store method called across the thread boundary (see threaded-store.ts). */
export interface ThreadCall {
  readonly id: number;
  readonly method: ThreadMethod;
  readonly args: readonly unknown[];
}

/** The answer to one call: its value, or the error it threw, by name and message. */
export interface ThreadReply {
  readonly id: number;
  readonly value?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
}

/** The Store's methods (what the thread answers). */
export type ThreadMethod = {
  [K in keyof Store]: Store[K] extends (...args: never[]) => unknown ? K : never;
}[keyof Store];

/**
 * A function cannot cross to another thread, so the two reseal methods go in two calls: the first
 * collects what is stored, the second applies what the caller's function made of each value.
 */
export type ResealRequest =
  | { readonly collect: true }
  | { readonly changes: ReadonlyArray<readonly [string, unknown]> };

/** Runs one phase of a reseal on the store that owns the rows (the thread's). */
export async function resealIn(
  store: Store,
  method: 'resealSecrets' | 'resealWebhookHeaders',
  request: ResealRequest,
): Promise<unknown> {
  if ('collect' in request) {
    const seen: unknown[] = [];
    const collect = (value: unknown) => {
      seen.push(value);
      return null;
    };
    await (method === 'resealSecrets' ? store.resealSecrets(collect) : store.resealWebhookHeaders(collect));
    return seen;
  }
  const changes = new Map(request.changes);
  return method === 'resealSecrets'
    ? store.resealSecrets((sealed) => (changes.get(resealKey(sealed)) as string | undefined) ?? null)
    : store.resealWebhookHeaders(
        (headers) => (changes.get(resealKey(headers)) as Record<string, string> | undefined) ?? null,
      );
}

/** The key a stored value is matched by in the apply phase: secrets as they are, headers as JSON. */
export function resealKey(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** An error as it crosses the threads: its name and message (a class does not survive the copy). */
export function describedError(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: 'Error', message: String(error) };
}

/** An error that crossed the threads (by name and message), rebuilt on this side. */
export function rebuiltError(error: { readonly name: string; readonly message: string }): Error {
  return Object.assign(new Error(error.message), { name: error.name });
}
