import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { type Hooklane, startHooklane } from '../../src/main.ts';
import { createTestDatabase } from './postgres.ts';

/** The backend this test run uses: `npm test` runs the suite once per backend. */
export const TEST_BACKEND: 'sqlite' | 'postgres' =
  process.env.HOOKLANE_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

/** On PostgreSQL a data dir stands for a database and its secret key, so a restart finds its data. */
const postgresByDataDir = new Map<string, { env: Record<string, string>; drop(): Promise<void> }>();

// A test that picks its own data dir (to restart on it) keeps that database past its servers'
// close; each test file drops what is left once its tests are done (every CI run used to leave
// three databases behind).
if (TEST_BACKEND === 'postgres') {
  after(async () => {
    for (const [dataDir, entry] of postgresByDataDir) {
      postgresByDataDir.delete(dataDir);
      await entry.drop();
    }
  });
}

async function backendEnv(dataDir: string): Promise<Record<string, string>> {
  if (TEST_BACKEND === 'sqlite') return {};
  let entry = postgresByDataDir.get(dataDir);
  if (!entry) {
    const database = await createTestDatabase();
    entry = {
      env: { DATABASE_URL: database.url, HOOKLANE_SECRET_KEY: randomBytes(32).toString('base64') },
      drop: database.drop,
    };
    postgresByDataDir.set(dataDir, entry);
  }
  return entry.env;
}

export interface ApiResponse<T = any> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/**
 * A Hooklane server in this process, on a real socket, on a fresh data dir: a SQLite file,
 * or on the PostgreSQL run a fresh database of its own.
 */
export interface TestServer {
  /** The environment the server was started with (for a restart on the same data). */
  readonly env: Readonly<Record<string, string>>;
  readonly url: string;
  readonly rootKey: string;
  readonly dataDir: string;
  readonly hooklane: Hooklane;
  /** Calls the API; `body` is JSON-encoded unless it is a string (sent raw). */
  api<T = any>(
    method: string,
    path: string,
    options?: { key?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<ApiResponse<T>>;
  /** Creates an account with an admin key. */
  account(): Promise<{ id: string; adminKey: string }>;
  close(): Promise<void>;
}

export interface ApiCallOptions {
  readonly key?: string | null;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly timeoutMs?: number;
}

/**
 * Calls a Hooklane API: `key` defaults to `defaultKey` (null sends none); `body` is
 * JSON-encoded unless it is a string (sent raw); the answer is parsed when it is JSON.
 */
export async function callApi<T = any>(
  baseUrl: string,
  defaultKey: string,
  method: string,
  path: string,
  options: ApiCallOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? defaultKey : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body,
    ...(options.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(options.timeoutMs) }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

/** Test defaults: loopback targets allowed, quick retries without jitter, quiet logs. */
export const TEST_ENV: Record<string, string> = {
  HOST: '127.0.0.1',
  PORT: '0',
  HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'true',
  HOOKLANE_RETRY_SCHEDULE: '100ms,100ms,100ms',
  HOOKLANE_RETRY_JITTER: '0',
  HOOKLANE_POLL_INTERVAL: '50ms',
  HOOKLANE_DELIVERY_TIMEOUT: '5s',
  HOOKLANE_SHUTDOWN_GRACE: '1s',
  LOG_LEVEL: 'silent',
};

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = env.HOOKLANE_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'hooklane-test-'));
  const rootKey = env.HOOKLANE_ROOT_KEY ?? `hlr_test_${randomBytes(16).toString('hex')}`;
  const config = loadConfig({
    ...TEST_ENV,
    HOOKLANE_DATA_DIR: dataDir,
    HOOKLANE_ROOT_KEY: rootKey,
    ...(env.DATABASE_URL === undefined ? await backendEnv(dataDir) : {}),
    ...env,
  });
  const hooklane = await startHooklane(config);
  const url = hooklane.url as string;

  const api: TestServer['api'] = (method, path, options = {}) => callApi(url, rootKey, method, path, options);

  return {
    env: { HOOKLANE_DATA_DIR: dataDir, HOOKLANE_ROOT_KEY: rootKey, ...(await backendEnv(dataDir)), ...env },
    url,
    rootKey,
    dataDir,
    hooklane,
    api,
    async account() {
      const account = await api('POST', '/v1/accounts', { body: { name: 'test account' } });
      if (account.status !== 201)
        throw new Error(`account: ${account.status} ${JSON.stringify(account.body)}`);
      const key = await api('POST', `/v1/accounts/${account.body.id}/keys`, { body: { role: 'admin' } });
      return { id: account.body.id as string, adminKey: key.body.key as string };
    },
    async close() {
      await hooklane.close();
      if (env.HOOKLANE_DATA_DIR === undefined) {
        rmSync(dataDir, { recursive: true, force: true });
        await postgresByDataDir.get(dataDir)?.drop();
        postgresByDataDir.delete(dataDir);
      }
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
