import { HooklaneError } from '../core/errors.ts';
import type { Page } from '../store/store.ts';

/** Cursors are opaque to clients: the last id of the previous page, base64url-encoded. */
export function decodeCursor(cursor: string | undefined, limit: number): Page {
  if (cursor === undefined) return { before: null, limit };
  const before = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[a-z]+_[0-9a-z]{26}$/.test(before)) throw new HooklaneError('invalid_cursor');
  return { before, limit };
}

/** A page of results; `next_cursor` is set when the page came back full. */
export function toPage<T extends { id: string }>(
  items: readonly T[],
  limit: number,
): { items: readonly T[]; nextCursor: string | null } {
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: items.length === limit && last ? Buffer.from(last.id, 'utf8').toString('base64url') : null,
  };
}
