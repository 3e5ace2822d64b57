import { isAbsolute, resolve } from 'node:path';
import { formatDuration, parseDuration } from './core/durations.ts';
import { DEFAULT_RETRY_SCHEDULE_MS } from './core/retry-policy.ts';
import {
  anyText,
  bool,
  duration,
  Invalid,
  int,
  isSecretKey,
  oneOf,
  optionalText,
  type ParseContext,
} from './setting-parsers.ts';

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
  /** Embedded store: deliveries per webhook claimed beyond its in-flight cap, to send the moment a request ends. */
  readonly claimAhead: number;
  readonly maxInFlight: number;
  readonly pollIntervalMs: number;
  readonly disableAfterMs: number;
  readonly secretGraceMs: number;
  readonly shutdownGraceMs: number;
  /** Embedded store: least time between the starts of two ingest commits (group commit). */
  readonly sqliteCommitGapMs: number;
  /** Embedded store: run the SQLite connection on a worker thread of its own. */
  readonly sqliteThread: boolean;
  /** The server's URL as browsers reach it (portal links), without a trailing slash; null: from the request. */
  readonly publicUrl: string | null;
  /** The `frame-ancestors` sources of the portal page: who may embed it in a frame. */
  readonly portalFrameAncestors: string;
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

/** The sections of docs/configuration.md, in order. */
export const SETTING_GROUPS = {
  server: 'Server',
  store: 'Store',
  delivery: 'Delivery',
  security: 'Security',
  retention: 'Retention',
  limits: 'Limits',
} as const;

export type SettingGroup = keyof typeof SETTING_GROUPS;

/**
 * One setting: the variable, the `Config` field it fills, how it parses, its default and its
 * documentation. `loadConfig` reads every setting through its record, and docs/configuration.md
 * is generated from the records (`npm run docs:config`), so the two cannot disagree.
 */
export interface Setting<K extends keyof Config = keyof Config> {
  readonly name: string;
  readonly key: K;
  readonly group: SettingGroup;
  /** The text used when the variable is unset or blank, as it would be written; null: none. */
  readonly default: string | null;
  /** What the docs show as the default when there is no default text, e.g. "(generated)". */
  readonly unset?: string;
  /** Markdown: what the setting does, for docs/configuration.md. */
  readonly doc: string;
  /** Parses the trimmed text (the default when unset, null when there is none either). */
  readonly parse: (text: string | null, context: ParseContext) => Config[K] | Invalid;
  /** A problem of this setting given the others it goes with; fields that did not parse are undefined. */
  readonly check?: (config: Partial<Config>) => string | null;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every setting, one record each (the mapped type makes a missing or doubled `Config` field an error). */
const SETTING_OF: { readonly [K in keyof Config]: Setting<K> } = {
  host: {
    name: 'HOST',
    key: 'host',
    group: 'server',
    default: '127.0.0.1',
    doc: 'Interface the HTTP API listens on (`0.0.0.0` for every interface).',
    parse: anyText,
  },
  port: {
    name: 'PORT',
    key: 'port',
    group: 'server',
    default: '8080',
    doc: 'Port of the HTTP API (0 picks a free one).',
    parse: int(0, 65535),
  },
  role: {
    name: 'HOOKLANE_ROLE',
    key: 'role',
    group: 'server',
    default: 'all',
    doc: '`api`, `worker` or `all`: which parts this process runs (see [deployment](deployment.md)).',
    parse: oneOf(
      ['api', 'worker', 'all'],
      (got) => `HOOKLANE_ROLE must be api, worker or all (got "${got}")`,
    ),
  },
  workerPort: {
    name: 'HOOKLANE_WORKER_PORT',
    key: 'workerPort',
    group: 'server',
    default: null,
    unset: '(unset)',
    doc: 'A worker process (`HOOKLANE_ROLE=worker`) serves `/healthz`, `/readyz` and `/metrics` on this port of `HOST` (0 picks a free one); unset, it serves no HTTP. Other roles ignore it.',
    parse: (text, context) => (text === null ? null : int(0, 65535)(text, context)),
  },
  logLevel: {
    name: 'LOG_LEVEL',
    key: 'logLevel',
    group: 'server',
    default: 'info',
    doc: 'pino level: fatal, error, warn, info, debug, trace, silent.',
    parse: oneOf(LOG_LEVELS, (got) => `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${got}")`),
  },
  shutdownGraceMs: {
    name: 'HOOKLANE_SHUTDOWN_GRACE',
    key: 'shutdownGraceMs',
    group: 'server',
    default: '10s',
    doc: 'On SIGTERM, how long in-flight deliveries get to finish; the rest are handed back to the queue and sent again.',
    parse: duration(0),
  },
  dataDir: {
    name: 'HOOKLANE_DATA_DIR',
    key: 'dataDir',
    group: 'store',
    default: './.hooklane',
    doc: 'Where the embedded store keeps its SQLite file and generated secret key (relative to the working directory).',
    parse: (text, { cwd }) => {
      const dir = anyText(text);
      return isAbsolute(dir) ? dir : resolve(cwd, dir);
    },
  },
  databaseUrl: {
    name: 'DATABASE_URL',
    key: 'databaseUrl',
    group: 'store',
    default: null,
    unset: '(unset)',
    doc: '`postgres://...` selects PostgreSQL (see [deployment](deployment.md)); unset uses the embedded SQLite store.',
    parse: (text) =>
      text === null || /^postgres(ql)?:\/\//.test(text)
        ? text
        : new Invalid('DATABASE_URL must start with postgres:// or postgresql://'),
  },
  databasePoolSize: {
    name: 'HOOKLANE_DB_POOL_SIZE',
    key: 'databasePoolSize',
    group: 'store',
    default: '10',
    doc: "PostgreSQL: connections per process (1 to 1000). Keep processes × pool size well under the server's `max_connections`.",
    parse: int(1, 1000),
  },
  sqliteCommitGapMs: {
    name: 'HOOKLANE_SQLITE_COMMIT_GAP',
    key: 'sqliteCommitGapMs',
    group: 'store',
    default: '2ms',
    doc: 'Embedded store: least time between two ingest commits; requests arriving meanwhile share the next one (a request after a quiet spell commits at once). Longer means fewer commits, less CPU and fewer bytes written under a steady stream of small requests, and up to that much more wait per 202 (at most 1s).',
    parse: duration(0, 1000),
  },
  sqliteThread: {
    name: 'HOOKLANE_SQLITE_THREAD',
    key: 'sqliteThread',
    group: 'store',
    default: 'false',
    doc: 'Embedded store: `true` runs the SQLite connection (its commits, fsyncs and claims) on a worker thread of its own, so that the event loop keeps serving requests and sending deliveries meanwhile; it costs the copies of what crosses between the threads.',
    parse: bool,
  },
  retrySchedule: {
    name: 'HOOKLANE_RETRY_SCHEDULE',
    key: 'retrySchedule',
    group: 'delivery',
    default: DEFAULT_RETRY_SCHEDULE_MS.map(formatDuration).join(','),
    doc: 'Delays between consecutive attempts (units ms, s, m, h, d; up to 50). A delivery gets one attempt more than there are delays.',
    parse: (text) => {
      const schedule = anyText(text)
        .split(',')
        .map((part) => parseDuration(part));
      if (schedule.length > 50 || schedule.some((ms) => ms === undefined))
        return new Invalid(
          `HOOKLANE_RETRY_SCHEDULE must be up to 50 comma-separated durations such as 5s,5m,30m (got "${text}")`,
        );
      return Object.freeze(schedule as number[]);
    },
  },
  retryJitter: {
    name: 'HOOKLANE_RETRY_JITTER',
    key: 'retryJitter',
    group: 'delivery',
    default: '0.2',
    doc: 'Random spread of each delay, as a fraction (0.2 = ±20%).',
    parse: (text) => {
      const value = Number(text);
      return value >= 0 && value <= 1
        ? value
        : new Invalid(`HOOKLANE_RETRY_JITTER must be from 0 to 1 (got "${text}")`);
    },
  },
  deliveryTimeoutMs: {
    name: 'HOOKLANE_DELIVERY_TIMEOUT',
    key: 'deliveryTimeoutMs',
    group: 'delivery',
    default: '15s',
    doc: 'Time an endpoint has to answer a delivery.',
    parse: duration(1),
  },
  disableAfterMs: {
    name: 'HOOKLANE_DISABLE_AFTER',
    key: 'disableAfterMs',
    group: 'delivery',
    default: '5d',
    doc: 'A webhook failing continuously this long is disabled.',
    parse: duration(1),
  },
  claimBatchSize: {
    name: 'HOOKLANE_CLAIM_BATCH',
    key: 'claimBatchSize',
    group: 'delivery',
    default: '100',
    doc: 'Deliveries claimed per batch.',
    parse: int(1, 10_000),
  },
  leaseMs: {
    name: 'HOOKLANE_LEASE',
    key: 'leaseMs',
    group: 'delivery',
    default: '30s',
    doc: "How long a claim lasts; a crashed process's claims are retried after it.",
    parse: duration(100),
  },
  maxInFlightPerWebhook: {
    name: 'HOOKLANE_MAX_IN_FLIGHT_PER_WEBHOOK',
    key: 'maxInFlightPerWebhook',
    group: 'delivery',
    default: '32',
    doc: 'Most concurrent requests to one webhook.',
    parse: int(1, 10_000),
  },
  claimAhead: {
    name: 'HOOKLANE_CLAIM_AHEAD',
    key: 'claimAhead',
    group: 'delivery',
    default: '32',
    doc: 'Embedded store: deliveries per webhook claimed beyond `HOOKLANE_MAX_IN_FLIGHT_PER_WEBHOOK` (at most as many again); they wait in memory and go the moment one of its requests ends, instead of a store round trip later. What is in flight never exceeds the cap. Ignored on PostgreSQL, where other processes share the leases.',
    parse: int(0, 10_000),
  },
  maxInFlight: {
    name: 'HOOKLANE_MAX_IN_FLIGHT',
    key: 'maxInFlight',
    group: 'delivery',
    default: '512',
    doc: 'Most concurrent requests of one worker process.',
    parse: int(1, 100_000),
  },
  pollIntervalMs: {
    name: 'HOOKLANE_POLL_INTERVAL',
    key: 'pollIntervalMs',
    group: 'delivery',
    default: '1s',
    doc: "Longest sleep of an idle worker before it looks for due retries (a worker wakes for its own retries when they are due; this bounds how late another worker's are).",
    parse: duration(10),
  },
  rootKey: {
    name: 'HOOKLANE_ROOT_KEY',
    key: 'rootKey',
    group: 'security',
    default: null,
    unset: '(generated)',
    doc: 'The root API key. Unset or empty: one is generated at first start, printed once, and stored hashed.',
    parse: optionalText,
  },
  secretKey: {
    name: 'HOOKLANE_SECRET_KEY',
    key: 'secretKey',
    group: 'security',
    default: null,
    unset: '(generated)',
    doc: 'base64 of 32 bytes (`openssl rand -base64 32`) encrypting webhook secrets at rest; generated into the data dir when unset. Required with PostgreSQL, the same for every process.',
    parse: (text) =>
      text === null || isSecretKey(text)
        ? text
        : new Invalid('HOOKLANE_SECRET_KEY must be base64 of exactly 32 bytes (openssl rand -base64 32)'),
    check: ({ databaseUrl, secretKey }) =>
      typeof databaseUrl === 'string' && secretKey === null
        ? 'HOOKLANE_SECRET_KEY is required with PostgreSQL: every process, on every host, must share the key that encrypts webhook secrets (openssl rand -base64 32)'
        : null,
  },
  previousSecretKeys: {
    name: 'HOOKLANE_SECRET_KEY_PREVIOUS',
    key: 'previousSecretKeys',
    group: 'security',
    default: null,
    unset: '(unset)',
    doc: 'Older secret keys (base64, comma-separated) that still open the webhook secrets sealed with them, while `HOOKLANE_SECRET_KEY` rotates: each process re-seals them with the new key when it starts. Needs `HOOKLANE_SECRET_KEY` (see [deployment](deployment.md)).',
    parse: (text) => {
      const keys = (text ?? '')
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean);
      return keys.every(isSecretKey)
        ? Object.freeze(keys)
        : new Invalid(
            'HOOKLANE_SECRET_KEY_PREVIOUS must be comma-separated base64 keys of exactly 32 bytes each',
          );
    },
    check: ({ previousSecretKeys, secretKey }) =>
      previousSecretKeys !== undefined && previousSecretKeys.length > 0 && secretKey === null
        ? 'HOOKLANE_SECRET_KEY_PREVIOUS needs HOOKLANE_SECRET_KEY (the new key) as well'
        : null,
  },
  secretGraceMs: {
    name: 'HOOKLANE_SECRET_GRACE',
    key: 'secretGraceMs',
    group: 'security',
    default: '24h',
    doc: 'How long a rotated-out webhook secret keeps signing and verifying.',
    parse: duration(0),
  },
  allowPrivateNetworks: {
    name: 'HOOKLANE_ALLOW_PRIVATE_NETWORKS',
    key: 'allowPrivateNetworks',
    group: 'security',
    default: 'false',
    doc: '`true` lets webhooks target loopback and private addresses (local development, tests).',
    parse: bool,
  },
  publicUrl: {
    name: 'HOOKLANE_PUBLIC_URL',
    key: 'publicUrl',
    group: 'server',
    default: null,
    unset: '(the URL the request was sent to)',
    doc: "The server's base URL as browsers reach it (`https://hooks.example.com`), used in the links of portal sessions ([portal](portal.md)). Set it behind a proxy that changes the host or the scheme.",
    parse: (text, { name }) => {
      if (text === null) return null;
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        return new Invalid(`${name} must be an absolute http(s) URL (got "${text}")`);
      }
      if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
        return new Invalid(`${name} must be an http(s) URL without a query or fragment (got "${text}")`);
      }
      return url.href.replace(/\/+$/, '');
    },
  },
  portalFrameAncestors: {
    name: 'HOOKLANE_PORTAL_FRAME_ANCESTORS',
    key: 'portalFrameAncestors',
    group: 'security',
    default: '*',
    doc: "Who may embed the portal page (`/portal`) in a frame: the sources of its `Content-Security-Policy: frame-ancestors`, space-separated (`https://app.example.com https://*.example.com`), or `'none'`. The console (`/ui`) is never framed.",
    parse: (text, { name }) => {
      const value = (text ?? '*').trim().replace(/\s+/g, ' ');
      return /^[ -~]+$/.test(value) && !/[;,]/.test(value)
        ? value
        : new Invalid(`${name} must be space-separated sources without ";" or "," (got "${text}")`);
    },
  },
  metricsToken: {
    name: 'HOOKLANE_METRICS_TOKEN',
    key: 'metricsToken',
    group: 'security',
    default: null,
    unset: '(unset)',
    doc: 'When set, `/metrics` requires `Authorization: Bearer <token>`.',
    parse: optionalText,
  },
  retentionMs: {
    name: 'HOOKLANE_RETENTION',
    key: 'retentionMs',
    group: 'retention',
    default: '30d',
    doc: 'Finished deliveries (with their attempts) and events no delivery refers to any more are pruned once older than this; `0` keeps everything. Pending deliveries are never pruned.',
    parse: duration(0),
  },
  retentionIntervalMs: {
    name: 'HOOKLANE_RETENTION_INTERVAL',
    key: 'retentionIntervalMs',
    group: 'retention',
    default: '10m',
    doc: 'How often a process that delivers (`worker` or `all`) prunes, in batches of 1000 rows that never block the queue.',
    parse: duration(10),
  },
  maxBodyBytes: {
    name: 'HOOKLANE_MAX_BODY_BYTES',
    key: 'maxBodyBytes',
    group: 'limits',
    default: '1048576',
    doc: 'Largest API request body (413 beyond).',
    parse: int(1024, 104_857_600),
  },
  maxBodyBytesInFlight: {
    name: 'HOOKLANE_MAX_BODY_BYTES_IN_FLIGHT',
    key: 'maxBodyBytesInFlight',
    group: 'limits',
    default: '16777216',
    doc: 'Request bodies read and processed at once, in bytes; a request beyond gets 503 `overloaded` with Retry-After (keeps memory bounded).',
    parse: int(1024, 1_073_741_824),
  },
  maxEventBytes: {
    name: 'HOOKLANE_MAX_EVENT_BYTES',
    key: 'maxEventBytes',
    group: 'limits',
    default: '262144',
    doc: "Largest single event's JSON (413 beyond).",
    parse: int(256, 104_857_600),
  },
  maxResponseBodyBytes: {
    name: 'HOOKLANE_MAX_RESPONSE_BYTES',
    key: 'maxResponseBodyBytes',
    group: 'limits',
    default: '65536',
    doc: 'How much of a response body is kept per attempt.',
    parse: int(0, 10_485_760),
  },
};

/** Every setting, in the order of docs/configuration.md within each group. */
export const SETTINGS: readonly Setting[] = Object.values(SETTING_OF);

/**
 * Reads the environment once, through every setting's record. Collects every problem before
 * failing so an operator fixes them all in one go. The environment is read here only, never at
 * import time.
 */
export function loadConfig(env: Env, cwd: string = process.cwd()): Config {
  const problems: string[] = [];
  const values: Partial<Record<keyof Config, unknown>> = {};
  for (const setting of SETTINGS) {
    const given = env[setting.name]?.trim();
    const text = given === undefined || given === '' ? setting.default : given;
    const value = setting.parse(text, { name: setting.name, cwd });
    if (value instanceof Invalid) problems.push(value.problem);
    else values[setting.key] = value;
  }
  const parsed = values as Partial<Config>;
  for (const setting of SETTINGS) {
    const problem = setting.check?.(parsed);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(parsed as Config);
}
