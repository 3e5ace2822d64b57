import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from 'hooklane/src/config.ts';
import { type Child, spawnNode, waitForLine } from '../children.ts';
import type { IngestTarget } from '../load.ts';
import type { RunningSystem, Target } from './types.ts';

/** How each Hooklane system starts its processes: as `npm start` does, with its Node flags. */

/**
 * The hooklane package's `start` script, split into its Node flags (the heap sizes an operator
 * runs with) and its entry: the workspace package, so the server runs from its sources.
 */
function startCommand(): { script: string; flags: string[] } {
  const manifest = new URL(import.meta.resolve('hooklane/package.json'));
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  const parts = String(pkg.scripts.start).split(/\s+/).slice(1);
  const entry = parts.find((part) => !part.startsWith('--'));
  if (!entry) throw new Error(`no entry in the start script: ${pkg.scripts.start}`);
  return {
    script: fileURLToPath(new URL(entry, manifest)),
    flags: parts.filter((part) => part.startsWith('--')),
  };
}

/**
 * Ends a Hooklane process at the end of a run: SIGKILL (the bench does not measure shutdown),
 * but SIGTERM for one started with `--cpu-prof` in NODE_OPTIONS (a compare.ts variant),
 * which writes its profile only when it exits by itself.
 */
export function endOf(child: Child, env: Readonly<Record<string, string>>): Promise<void> {
  return env.NODE_OPTIONS?.includes('--cpu-prof') ? child.stop(30_000) : child.kill();
}

/**
 * Hooklane's in-flight caps as the bench runs it (its defaults): requests to one webhook, and
 * of one process. The peers are held to the same toward the receiver.
 */
export function hooklaneInFlight(): { perWebhook: number; perProcess: number } {
  const config = loadConfig({});
  return { perWebhook: config.maxInFlightPerWebhook, perProcess: config.maxInFlight };
}

/** The report's in-flight note for a Hooklane system. */
export function hooklaneInFlightNote(): string {
  const { perWebhook, perProcess } = hooklaneInFlight();
  return `≤ ${perWebhook} per webhook, ≤ ${perProcess} per process (HOOKLANE_MAX_IN_FLIGHT_PER_WEBHOOK, HOOKLANE_MAX_IN_FLIGHT defaults)`;
}

export function newRootKey(): string {
  return `hlr_bench_${randomBytes(16).toString('hex')}`;
}

/** Defaults, except what the bench needs: loopback targets, quiet logs, a free port, the delivery timeout. */
export function hooklaneEnv(
  rootKey: string,
  deliveryTimeoutMs: number,
  extra: Record<string, string>,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    HOST: '127.0.0.1',
    PORT: '0',
    HOOKLANE_ROOT_KEY: rootKey,
    HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'true',
    HOOKLANE_DELIVERY_TIMEOUT: `${deliveryTimeoutMs}ms`,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Starts one Hooklane process and waits for its startup line; `url` is null for a worker. */
export async function startHooklaneProcess(
  env: Record<string, string>,
  name: string,
): Promise<{ child: Child; url: string | null }> {
  const { script, flags } = startCommand();
  // A compare.ts variant may add node arguments: NODE_OPTIONS refuses most V8 flags.
  const extra = env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawnNode(script, env, name, [...flags, ...extra]);
  if (env.HOOKLANE_ROLE === 'worker') {
    await waitForLine(child, /Hooklane worker running/, name);
    return { child, url: null };
  }
  const match = await waitForLine(child, /Hooklane listening on (\S+)/, name);
  return { child, url: match[1]! };
}

async function call(url: string, key: string, path: string, body: unknown): Promise<any> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** An account, an admin key, and one `["*"]` webhook per target (with the target's secret). */
export async function configureAccount(
  url: string,
  rootKey: string,
  targets: readonly Target[],
): Promise<IngestTarget> {
  const account = await call(url, rootKey, '/v1/accounts', { name: 'Bench' });
  const { key } = await call(url, rootKey, `/v1/accounts/${account.id}/keys`, { role: 'admin' });
  for (const [index, target] of targets.entries()) {
    await call(url, key, `/v1/accounts/${account.id}/webhooks`, {
      name: `bench-${index}`,
      url: target.url,
      events: ['*'],
      secret: target.secret,
    });
  }
  return { url: `${url}/v1/accounts/${account.id}/events`, headers: { authorization: `Bearer ${key}` } };
}

/** PORT of a listening URL, to restart on the same one. */
export function portOf(url: string): string {
  return new URL(url).port;
}

/**
 * A system of one Hooklane process, started with `env` (role `all`, or `api` until
 * `startDelivery()`, which restarts it with role `all` on the same port: the backlog scenario),
 * configured for `targets`; `cleanup` runs after it is killed.
 */
export async function startOneProcess(
  env: Record<string, string>,
  name: string,
  rootKey: string,
  targets: readonly Target[],
  cleanup: () => Promise<void>,
  storePids: () => number[] = () => [],
): Promise<RunningSystem> {
  let server = await startHooklaneProcess(env, name);
  const ingest = await configureAccount(server.url!, rootKey, targets);
  return {
    ingest,
    direct: null,
    pids: () => (server.child.alive() ? [server.child.pid] : []),
    storePids,
    async startDelivery() {
      // Same shape as the other runs: the one process, now with its delivery engine (the
      // embedded store also allows only one process per data dir).
      await server.child.stop();
      server = await startHooklaneProcess({ ...env, HOOKLANE_ROLE: 'all', PORT: portOf(server.url!) }, name);
    },
    async stop() {
      await endOf(server.child, env);
      await cleanup();
    },
  };
}
