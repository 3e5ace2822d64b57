import type { IngestOutcome, NewEvent } from './store.ts';

/** An ingest request waiting for its group's commit (both backends commit ingests in groups). */
export interface QueuedIngest {
  readonly accountId: string;
  readonly events: readonly NewEvent[];
  readonly now: number;
  readonly resolve: (outcome: IngestOutcome) => void;
  readonly reject: (error: unknown) => void;
}
