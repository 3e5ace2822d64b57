import { isAbsolute, resolve } from 'node:path';
import { formatDuration, parseDuration } from './core/durations.ts';
import { DEFAULT_RETRY_SCHEDULE_MS } from './core/retry-policy.ts';

export type ProcessRole = 'api' | 'worker' | 'all';

/** Every setting of a Hooklane process, read once from the environment, validated, frozen. */
export interface Config {
  readonly host: string;
  readonly port: number;
  /** A worker's port for /healthz, /readyz and /metrics; null: a worker serves no HTTP. */
  readonly workerPort: number | null;
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  readonly rootKey: string | null;
  readonly role: ProcessRole;
  readonly allowPrivateNetworks: boolean;
  readonly retrySchedule: readonly number[];
  readonly retryJitter: number;
  readonly deliveryTimeoutMs: number;
  /** base64 of 32 bytes, or null: generated into the data dir (embedded store only). */
  readonly secretKey: string | null;
  /** Older keys (base64) that can still open secrets until they are re-sealed with `secretKey`. */
  readonly previousSecretKeys: readonly string[];
  readonly databasePoolSize: number;
  /** Finished deliveries and unreferenced events older than this are pruned; 0 keeps everything. */
  readonly retentionMs: number;
  readonly retentionIntervalMs: number;
  readonly logLevel: string;
  readonly metricsToken: string | null;
  readonly maxBodyBytes: number;
  readonly maxBodyBytesInFlight: number;
  readonly maxEventBytes: number;
  readonly maxResponseBodyBytes: number;
  readonly claimBatchSize: number;
  readonly leaseMs: number;
  readonly maxInFlightPerWebhook: number;
  readonly maxInFlight: number;
  readonly pollIntervalMs: number;
  readonly disableAfterMs: number;
  readonly secretGraceMs: number;
  readonly shutdownGraceMs: number;
  /** Embedded store: least time between the starts of two ingest commits (group commit). */
  readonly sqliteCommitGapMs: number;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** One documented setting: the README's configuration table is generated from this list. */
export interface Setting {
  readonly name: string;
  readonly default: string;
  readonly description: string;
}

export const SETTINGS: readonly Setting[] = [
  { name: 'HOST', default: '127.0.0.1', description: 'Interface the HTTP API listens on.' },
  { name: 'PORT', default: '8080', description: 'Port of the HTTP API (0 picks a free one).' },
  {
    name: 'HOOKLANE_WORKER_PORT',
    default: '(unset)',
    description:
      'A worker process (`HOOKLANE_ROLE=worker`) serves `/healthz`, `/readyz` and `/metrics` on this port of `HOST` (0 picks a free one); unset, it serves no HTTP. Other roles ignore it.',
  },
  {
    name: 'HOOKLANE_DATA_DIR',
    default: './.hooklane',
    description: 'Where the embedded store keeps its SQLite file and generated secret key.',
  },
  {
    name: 'DATABASE_URL',
    default: '(unset)',
    description:
      '`postgres://...` selects PostgreSQL (see the PostgreSQL issue); unset uses the embedded SQLite store.',
  },
  {
    name: 'HOOKLANE_ROOT_KEY',
    default: '(generated)',
    description:
      'The root API key. Unset or empty: one is generated at first start, printed once, and stored hashed.',
  },
  {
    name: 'HOOKLANE_ROLE',
    default: 'all',
    description: '`api`, `worker` or `all`: which parts this process runs.',
  },
  {
    name: 'HOOKLANE_ALLOW_PRIVATE_NETWORKS',
    default: 'false',
    description: '`true` lets webhooks target loopback and private addresses (local development, tests).',
  },
  {
    name: 'HOOKLANE_RETRY_SCHEDULE',
    default: '5s,5m,30m,2h,5h,10h,10h',
    description: 'Delays between consecutive attempts (units ms, s, m, h, d).',
  },
  {
    name: 'HOOKLANE_RETRY_JITTER',
    default: '0.2',
    description: 'Random spread of each delay, as a fraction (0.2 = ±20%).',
  },
  {
    name: 'HOOKLANE_DELIVERY_TIMEOUT',
    default: '15s',
    description: 'Time an endpoint has to answer a delivery.',
  },
  {
    name: 'HOOKLANE_SECRET_KEY',
    default: '(generated)',
    description:
      'base64 of 32 bytes (`openssl rand -base64 32`) encrypting webhook secrets at rest; generated into the data dir when unset.',
  },
  {
    name: 'LOG_LEVEL',
    default: 'info',
    description: 'pino level: fatal, error, warn, info, debug, trace, silent.',
  },
  {
    name: 'HOOKLANE_METRICS_TOKEN',
    default: '(unset)',
    description: 'When set, `/metrics` requires `Authorization: Bearer <token>`.',
  },
  {
    name: 'HOOKLANE_MAX_BODY_BYTES',
    default: '1048576',
    description: 'Largest API request body (413 beyond).',
  },
  {
    name: 'HOOKLANE_MAX_BODY_BYTES_IN_FLIGHT',
    default: '16777216',
    description:
      'Request bodies read and processed at once, in bytes; a request beyond gets 503 `overloaded` with Retry-After (keeps memory bounded).',
  },
  {
    name: 'HOOKLANE_MAX_EVENT_BYTES',
    default: '262144',
    description: "Largest single event's JSON (413 beyond).",
  },
  {
    name: 'HOOKLANE_MAX_RESPONSE_BYTES',
    default: '65536',
    description: 'How much of a response body is kept per attempt.',
  },
  { name: 'HOOKLANE_CLAIM_BATCH', default: '100', description: 'Deliveries claimed per batch.' },
  {
    name: 'HOOKLANE_LEASE',
    default: '30s',
    description: "How long a claim lasts; a crashed process's claims are retried after it.",
  },
  {
    name: 'HOOKLANE_MAX_IN_FLIGHT_PER_WEBHOOK',
    default: '32',
    description: 'Most concurrent requests to one webhook.',
  },
  {
    name: 'HOOKLANE_MAX_IN_FLIGHT',
    default: '512',
    description: 'Most concurrent requests of one worker process.',
  },
  {
    name: 'HOOKLANE_POLL_INTERVAL',
    default: '1s',
    description: 'Longest sleep of an idle worker before it looks for due retries.',
  },
  {
    name: 'HOOKLANE_DISABLE_AFTER',
    default: '5d',
    description: 'A webhook failing continuously this long is disabled.',
  },
  {
    name: 'HOOKLANE_SECRET_GRACE',
    default: '24h',
    description: 'How long a rotated-out secret keeps signing and verifying.',
  },
  {
    name: 'HOOKLANE_SHUTDOWN_GRACE',
    default: '10s',
    description: 'On SIGTERM, how long in-flight deliveries get to finish.',
  },
  {
    name: 'HOOKLANE_SQLITE_COMMIT_GAP',
    default: '2ms',
    description:
      'Embedded store: least time between two ingest commits; requests arriving meanwhile share the next one (a request after a quiet spell commits at once). Longer means fewer commits, less CPU and fewer bytes written under a steady stream of small requests, and up to that much more wait per 202 (at most 1s).',
  },
];

/**
 * Reads the environment once. Collects every problem before failing so an operator fixes
 * them all in one go. Nothing here runs at import time.
 */
export function loadConfig(env: Env, cwd: string = process.cwd()): Config {
  const problems: string[] = [];
  const text = (name: string, fallback: string): string => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? fallback : value.trim();
  };
  const optional = (name: string): string | null => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? null : value.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name, String(fallback));
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const duration = (name: string, fallback: string, minMs = 0, maxMs = Number.POSITIVE_INFINITY): number => {
    const raw = text(name, fallback);
    const value = parseDuration(raw);
    if (value === undefined || value < minMs || value > maxMs) {
      const range = Number.isFinite(maxMs)
        ? `from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`
        : `at least ${formatDuration(minMs)}`;
      problems.push(`${name} must be a duration such as 500ms, 15s, 5m, 2h or 5d, ${range} (got "${raw}")`);
      return parseDuration(fallback) ?? 0;
    }
    return value;
  };
  const bool = (name: string): boolean => {
    const raw = text(name, 'false').toLowerCase();
    if (raw === 'true' || raw === '1' || raw === 'yes') return true;
    if (raw === 'false' || raw === '0' || raw === 'no') return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return false;
  };

  const role = text('HOOKLANE_ROLE', 'all');
  if (role !== 'api' && role !== 'worker' && role !== 'all') {
    problems.push(`HOOKLANE_ROLE must be api, worker or all (got "${role}")`);
  }

  const scheduleRaw = text('HOOKLANE_RETRY_SCHEDULE', '5s,5m,30m,2h,5h,10h,10h');
  const retrySchedule = scheduleRaw.split(',').map((part) => parseDuration(part));
  if (retrySchedule.length > 50 || retrySchedule.some((ms) => ms === undefined)) {
    problems.push(
      `HOOKLANE_RETRY_SCHEDULE must be up to 50 comma-separated durations such as 5s,5m,30m (got "${scheduleRaw}")`,
    );
  }

  const jitterRaw = text('HOOKLANE_RETRY_JITTER', '0.2');
  const retryJitter = Number(jitterRaw);
  if (!(retryJitter >= 0 && retryJitter <= 1))
    problems.push(`HOOKLANE_RETRY_JITTER must be from 0 to 1 (got "${jitterRaw}")`);

  const databaseUrl = optional('DATABASE_URL');
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with postgres:// or postgresql://');
  }

  const secretKey = optional('HOOKLANE_SECRET_KEY');
  if (secretKey !== null && Buffer.from(secretKey, 'base64').length !== 32) {
    problems.push('HOOKLANE_SECRET_KEY must be base64 of exactly 32 bytes (openssl rand -base64 32)');
  }

  const previousSecretKeys = (optional('HOOKLANE_SECRET_KEY_PREVIOUS') ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  if (previousSecretKeys.some((key) => Buffer.from(key, 'base64').length !== 32)) {
    problems.push(
      'HOOKLANE_SECRET_KEY_PREVIOUS must be comma-separated base64 keys of exactly 32 bytes each',
    );
  }
  if (previousSecretKeys.length > 0 && secretKey === null) {
    problems.push('HOOKLANE_SECRET_KEY_PREVIOUS needs HOOKLANE_SECRET_KEY (the new key) as well');
  }
  if (databaseUrl !== null && secretKey === null) {
    problems.push(
      'HOOKLANE_SECRET_KEY is required with PostgreSQL: every process, on every host, must share the key that encrypts webhook secrets (openssl rand -base64 32)',
    );
  }

  const logLevel = text('LOG_LEVEL', 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(
      `LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "${logLevel}")`,
    );
  }

  const dataDir = text('HOOKLANE_DATA_DIR', './.hooklane');
  const config: Config = {
    host: text('HOST', '127.0.0.1'),
    port: int('PORT', 8080, 0, 65535),
    workerPort: optional('HOOKLANE_WORKER_PORT') === null ? null : int('HOOKLANE_WORKER_PORT', 0, 0, 65535),
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir),
    databaseUrl,
    rootKey: optional('HOOKLANE_ROOT_KEY'),
    role: role as ProcessRole,
    allowPrivateNetworks: bool('HOOKLANE_ALLOW_PRIVATE_NETWORKS'),
    retrySchedule: Object.freeze(
      problems.some((p) => p.startsWith('HOOKLANE_RETRY_SCHEDULE'))
        ? [...DEFAULT_RETRY_SCHEDULE_MS]
        : (retrySchedule as number[]),
    ),
    retryJitter,
    deliveryTimeoutMs: duration('HOOKLANE_DELIVERY_TIMEOUT', '15s', 1),
    secretKey,
    previousSecretKeys: Object.freeze(previousSecretKeys),
    databasePoolSize: int('HOOKLANE_DB_POOL_SIZE', 10, 1, 1000),
    retentionMs: duration('HOOKLANE_RETENTION', '30d', 0),
    retentionIntervalMs: duration('HOOKLANE_RETENTION_INTERVAL', '10m', 10),
    logLevel,
    metricsToken: optional('HOOKLANE_METRICS_TOKEN'),
    maxBodyBytes: int('HOOKLANE_MAX_BODY_BYTES', 1_048_576, 1024, 104_857_600),
    maxBodyBytesInFlight: int('HOOKLANE_MAX_BODY_BYTES_IN_FLIGHT', 16_777_216, 1024, 1_073_741_824),
    maxEventBytes: int('HOOKLANE_MAX_EVENT_BYTES', 262_144, 256, 104_857_600),
    maxResponseBodyBytes: int('HOOKLANE_MAX_RESPONSE_BYTES', 65_536, 0, 10_485_760),
    claimBatchSize: int('HOOKLANE_CLAIM_BATCH', 100, 1, 10_000),
    leaseMs: duration('HOOKLANE_LEASE', '30s', 100),
    maxInFlightPerWebhook: int('HOOKLANE_MAX_IN_FLIGHT_PER_WEBHOOK', 32, 1, 10_000),
    maxInFlight: int('HOOKLANE_MAX_IN_FLIGHT', 512, 1, 100_000),
    pollIntervalMs: duration('HOOKLANE_POLL_INTERVAL', '1s', 10),
    disableAfterMs: duration('HOOKLANE_DISABLE_AFTER', '5d', 1),
    secretGraceMs: duration('HOOKLANE_SECRET_GRACE', '24h', 0),
    shutdownGraceMs: duration('HOOKLANE_SHUTDOWN_GRACE', '10s', 0),
    sqliteCommitGapMs: duration('HOOKLANE_SQLITE_COMMIT_GAP', '2ms', 0, 1000),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}
