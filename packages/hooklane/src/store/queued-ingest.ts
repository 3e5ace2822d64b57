import type { IngestOutcome, NewEvent } from './store.ts';

/** An ingest request waiting for its group's commit (both backends commit ingests in groups). */
export interface QueuedIngest {
  readonly accountId: string;
  readonly events: readonly NewEvent[];
  readonly now: number;
  readonly resolve: (outcome: IngestOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Commits a group of queued requests with `write` (every request of the part it is given, in
 * one transaction, or none: it throws), and settles each request. When a write fails, each
 * half is tried again as a group of its own: a request whose data the database refuses (or a
 * deadlock between groups) fails alone, and costs its group about 2·log2(n) more writes rather
 * than one per request. An error `failsAll` accepts (a lost database) fails the group at once.
 */
export async function commitIsolating(
  group: readonly QueuedIngest[],
  write: (part: readonly QueuedIngest[]) => IngestOutcome[] | Promise<IngestOutcome[]>,
  failsAll: (error: unknown) => boolean = () => false,
): Promise<void> {
  let outcomes: IngestOutcome[];
  try {
    outcomes = await write(group);
  } catch (error) {
    if (group.length === 1 || failsAll(error)) {
      for (const request of group) request.reject(error);
      return;
    }
    const half = Math.ceil(group.length / 2);
    await commitIsolating(group.slice(0, half), write, failsAll);
    await commitIsolating(group.slice(half), write, failsAll);
    return;
  }
  for (const [i, request] of group.entries()) request.resolve(outcomes[i] as IngestOutcome);
}
