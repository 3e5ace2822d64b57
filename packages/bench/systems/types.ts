import type { CeilingTarget } from '../ceiling-sender.ts';
import type { IngestTarget } from '../load.ts';

/** A webhook endpoint every system is configured with: the receiver's URL and a shared secret. */
export type Target = CeilingTarget;

export interface StartOptions {
  /** One webhook per target, subscribed to every event. */
  readonly targets: readonly Target[];
  /** How long an endpoint has to answer (2 s in the fan-out/hanging instance). */
  readonly deliveryTimeoutMs: number;
  /** false: only the ingest side runs (the backlog scenario) until `startDelivery()`. */
  readonly deliver: boolean;
  /** More environment for the system's processes (compare.ts's variants); Hooklane's systems read it. */
  readonly env?: Readonly<Record<string, string>>;
}

/** The ceiling has no ingest: it sends events itself. */
export interface DirectSender {
  burst(options: {
    events: number;
    targets: readonly Target[];
    timeoutMs: number;
    deadline: number;
  }): Promise<{ startedAt: number; endedAt: number; sent: number; failed: number }>;
  paced(options: {
    rate: number;
    durationMs: number;
    target: Target;
    timeoutMs: number;
  }): Promise<{ startedAt: number; endedAt: number; offered: number; failed: number }>;
  abort(): Promise<void>;
}

export interface RunningSystem {
  /** POST events here (null for the ceiling). */
  readonly ingest: IngestTarget | null;
  /** The ceiling's own sender (null for the pipelines). */
  readonly direct: DirectSender | null;
  /** The system's own processes, for RSS and CPU (not PostgreSQL or Redis, which are shared). */
  pids(): number[];
  /** Its store's server processes (PostgreSQL's or Redis's), whose CPU counts in the cost per event. */
  storePids(): number[];
  /** Starts delivering (a system started with `deliver: false`). */
  startDelivery(): Promise<void>;
  stop(): Promise<void>;
}

export interface BenchSystem {
  readonly id: string;
  readonly label: string;
  /** Processes, settings: one line for the report. */
  readonly shape: string;
  /** Its store: a PostgreSQL restart by someone else invalidates a run of a PostgreSQL system. */
  readonly store: 'sqlite' | 'postgres' | 'redis' | 'none';
  /** When an acknowledged event is safe from a crash, for the report's durability column. */
  readonly durability: string;
  /** How many requests it keeps in flight toward one receiver, and why that many. */
  readonly inFlight: string;
  start(options: StartOptions): Promise<RunningSystem>;
}
