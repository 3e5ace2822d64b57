/**
 * PostgreSQL fault tests: several processes on one database, a worker killed with SIGKILL,
 * and the PostgreSQL cluster itself stopped and started under load. They restart the shared
 * cluster, so `npm test` runs them alone, last, one at a time (see scripts/run-tests.ts);
 * the files are named `*.fault.ts` so that no `*.test.ts` glob picks them up by accident.
 *
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
 *     node --test --test-concurrency=1 test/postgres-faults/scale-out.fault.ts
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  type ChildServer,
  type ChildWorker,
  startChildServer,
  startChildWorker,
} from '../helpers/child-server.ts';
import { createTestDatabase, testDatabaseUrl } from '../helpers/postgres.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const skip = testDatabaseUrl() === null ? 'TEST_DATABASE_URL is not set' : false;

/** Everything one test starts, stopped and dropped at its end whatever happened. */
function fixture(t: test.TestContext) {
  const dataDir = mkdtempSync(join(tmpdir(), 'hooklane-pg-fault-'));
  const rootKey = `hlr_test_${randomBytes(16).toString('hex')}`;
  const secretKey = randomBytes(32).toString('base64');
  const processes: { process: ChildServer['process']; exited: Promise<unknown> }[] = [];
  const receivers: Receiver[] = [];
  let database: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
  const cleanups: (() => Promise<void>)[] = [];
  t.after(async () => {
    for (const cleanup of cleanups) await cleanup();
    for (const child of processes) {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
      await child.exited;
    }
    await Promise.all(receivers.map((receiver) => receiver.close()));
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const env = (extra: Record<string, string>): Record<string, string> => {
    if (database === null) throw new Error('call fixture.database() first');
    return {
      DATABASE_URL: database.url,
      HOOKLANE_SECRET_KEY: secretKey,
      HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'true',
      LOG_LEVEL: 'warn',
      ...extra,
    };
  };
  return {
    /** Runs before the other cleanups (e.g. starting PostgreSQL again). */
    onCleanup(cleanup: () => Promise<void>) {
      cleanups.push(cleanup);
    },
    async database() {
      database = await createTestDatabase();
      return database;
    },
    async api(extra: Record<string, string> = {}): Promise<ChildServer> {
      const child = await startChildServer(dataDir, {
        rootKey,
        env: env({ ...extra, HOOKLANE_ROLE: 'api' }),
      });
      processes.push(child);
      return child;
    },
    async worker(extra: Record<string, string> = {}): Promise<ChildWorker> {
      const child = await startChildWorker(dataDir, { rootKey, env: env(extra) });
      processes.push(child);
      return child;
    },
    async receiver(delayMs = 0): Promise<Tally> {
      const tally = tallying(delayMs);
      tally.receiver = await startReceiver(tally.behaviour);
      receivers.push(tally.receiver);
      return tally;
    },
  };
}

/** What a receiver counted: requests per `webhook-id` header and distinct event ids. */
interface Tally {
  receiver: Receiver;
  requests: number;
  readonly byWebhookId: Map<string, number>;
  readonly eventIds: Set<string>;
  /** When each event first arrived. */
  readonly arrivedAt: Map<string, number>;
  /** When the last not-yet-seen event id arrived. */
  lastNewAt: number;
  /** Called with the number of distinct events after each new one. */
  onNewEvent: (distinct: number) => void;
  readonly behaviour: Parameters<typeof startReceiver>[0];
}

function tallying(delayMs: number): Tally {
  const tally: Tally = {
    receiver: null as unknown as Receiver,
    requests: 0,
    byWebhookId: new Map(),
    eventIds: new Set(),
    arrivedAt: new Map(),
    lastNewAt: 0,
    onNewEvent: () => {},
    behaviour: (_n, request) => {
      tally.requests++;
      const webhookId = String(request.headers['webhook-id']);
      tally.byWebhookId.set(webhookId, (tally.byWebhookId.get(webhookId) ?? 0) + 1);
      const eventId = (JSON.parse(request.body) as { id: string }).id;
      if (!tally.eventIds.has(eventId)) {
        tally.eventIds.add(eventId);
        tally.lastNewAt = Date.now();
        tally.arrivedAt.set(eventId, tally.lastNewAt);
        tally.onNewEvent(tally.eventIds.size);
      }
      return delayMs > 0 ? { status: 204, delayMs } : { status: 204 };
    },
  };
  return tally;
}

/** Deliveries received more than once: the extra requests, and how many webhook-ids had them. */
function duplicates(tally: Tally): { extra: number; ids: number } {
  let extra = 0;
  let ids = 0;
  for (const count of tally.byWebhookId.values()) {
    if (count > 1) {
      extra += count - 1;
      ids++;
    }
  }
  return { extra, ids };
}

/** Creates an account, an admin key and a `["*"]` webhook to the receiver. */
async function subscribe(api: ChildServer, url: string): Promise<{ accountId: string; adminKey: string }> {
  const account = await api.api('POST', '/v1/accounts', { body: { name: 'fault test' } });
  assert.equal(account.status, 201, JSON.stringify(account.body));
  const key = await api.api('POST', `/v1/accounts/${account.body.id}/keys`, { body: { role: 'admin' } });
  assert.equal(key.status, 201, JSON.stringify(key.body));
  const webhook = await api.api('POST', `/v1/accounts/${account.body.id}/webhooks`, {
    key: key.body.key,
    body: { name: 'all', url: `${url}/hook`, events: ['*'] },
  });
  assert.equal(webhook.status, 201, JSON.stringify(webhook.body));
  return { accountId: account.body.id, adminKey: key.body.key };
}

function events(count: number, tag: string) {
  return Array.from({ length: count }, (_, i) => ({
    name: 'appcues:flow_started',
    user_id: `user-${tag}-${i}`,
    attributes: { flowId: `flow-${i % 7}` },
  }));
}

async function postEvents(
  api: ChildServer,
  target: { accountId: string; adminKey: string },
  batch: unknown[],
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${api.url}/v1/accounts/${target.accountId}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(batch),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

/** Posts `total` events in batches from `senders` concurrent loops; every request must be acknowledged. */
async function sendAll(
  api: ChildServer,
  target: { accountId: string; adminKey: string },
  total: number,
  batchSize: number,
  senders: number,
): Promise<void> {
  let next = 0;
  const loop = async () => {
    while (next < total) {
      const start = next;
      next += batchSize;
      const batch = events(Math.min(batchSize, total - start), String(start));
      const { status, body } = await postEvents(api, target, batch);
      assert.equal(status, 202, JSON.stringify(body));
    }
  };
  await Promise.all(Array.from({ length: senders }, loop));
}

/** Polls `done` until it holds; fails at once if a process that must live has died. */
async function waitUntil(
  what: string,
  timeoutMs: number,
  done: () => boolean,
  mustLive: readonly { process: ChildServer['process']; stderr(): string }[] = [],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    for (const child of mustLive) {
      if (child.process.exitCode !== null || child.process.signalCode !== null) {
        throw new Error(
          `a Hooklane process died (${child.process.exitCode ?? child.process.signalCode}) while waiting for ${what}; stderr: ${child.stderr()}`,
        );
      }
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

function assertAlive(children: readonly { process: ChildServer['process']; stderr(): string }[]) {
  for (const child of children) {
    assert.ok(
      child.process.exitCode === null && child.process.signalCode === null,
      `a Hooklane process died (${child.process.exitCode ?? child.process.signalCode}); stderr: ${child.stderr()}`,
    );
  }
}

test('three workers and one API process deliver 10,000 events, none lost, none duplicated', {
  skip,
  timeout: 150_000,
}, async (t) => {
  const f = fixture(t);
  await f.database();
  const tally = await f.receiver();
  const api = await f.api();
  const workers = await Promise.all([f.worker(), f.worker(), f.worker()]);
  const target = await subscribe(api, tally.receiver.url);

  const total = 10_000;
  const started = Date.now();
  await sendAll(api, target, total, 100, 4);
  const ingestedIn = Date.now() - started;
  await waitUntil('all 10,000 events at the receiver', 120_000, () => tally.eventIds.size >= total, [
    api,
    ...workers,
  ]);
  const deliveredIn = tally.lastNewAt - started;
  // Late duplicates would come now, if any.
  await sleep(1_500);

  const dup = duplicates(tally);
  t.diagnostic(
    `10,000 events, 3 workers + 1 API: ingested in ${seconds(ingestedIn)} (${Math.round((total * 1000) / ingestedIn)} events/s), ` +
      `all delivered ${seconds(deliveredIn)} after the first send (${Math.round((total * 1000) / deliveredIn)} events/s end to end); ` +
      `${tally.requests} requests, ${dup.extra} duplicates`,
  );
  assert.equal(tally.eventIds.size, total);
  assert.equal(dup.extra, 0, `${dup.ids} webhook-ids arrived more than once`);
  assert.equal(tally.requests, total);
  assertAlive([api, ...workers]);
});

test('kill -9 of one of three workers mid-load: every event is delivered, duplicates stay within its claims', {
  skip,
  timeout: 120_000,
}, async (t) => {
  const f = fixture(t);
  await f.database();
  const tally = await f.receiver(20);
  const claimBatch = 50;
  const perWebhook = 32;
  const env = {
    HOOKLANE_LEASE: '2s',
    HOOKLANE_CLAIM_BATCH: String(claimBatch),
    HOOKLANE_MAX_IN_FLIGHT_PER_WEBHOOK: String(perWebhook),
  };
  const api = await f.api(env);
  const workers = await Promise.all([f.worker(env), f.worker(env), f.worker(env)]);
  const [victim, ...survivors] = workers as [ChildWorker, ...ChildWorker[]];
  const target = await subscribe(api, tally.receiver.url);

  const total = 3_000;
  let killedAt = 0;
  let deliveredAtKill = 0;
  tally.onNewEvent = (distinct) => {
    if (killedAt === 0 && distinct >= total / 3) {
      victim.process.kill('SIGKILL');
      killedAt = Date.now();
      deliveredAtKill = distinct;
    }
  };
  await sendAll(api, target, total, 100, 3);
  await waitUntil('the kill', 30_000, () => killedAt > 0, [api, ...survivors]);
  const exit = await victim.exited;
  assert.deepEqual(exit, { code: null, signal: 'SIGKILL' });
  await waitUntil('all 3,000 events after the kill', 60_000, () => tally.eventIds.size >= total, [
    api,
    ...survivors,
  ]);
  const recoveredIn = tally.lastNewAt - killedAt;
  await sleep(2_500); // more than a lease: a late re-send of a lost claim would show now
  const dup = duplicates(tally);
  t.diagnostic(
    `SIGKILL after ${deliveredAtKill} of ${total} events; the rest delivered ${seconds(recoveredIn)} later; ` +
      `${dup.extra} duplicate requests (${dup.ids} webhook-ids), bound ${claimBatch + perWebhook}`,
  );
  assert.equal(tally.eventIds.size, total);
  assert.ok(
    dup.extra <= claimBatch + perWebhook,
    `${dup.extra} duplicates: more than the killed worker could have had in flight`,
  );
  assertAlive([api, ...survivors]);
});

/** For a failure message: how the deliveries of these events stand in the database. */
async function deliveryStates(url: string, eventIds: readonly string[]): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT status, attempt_count, lease_until > 0 AS leased,
         (lease_until - extract(epoch from now()) * 1000)::bigint AS lease_left_ms,
         (next_attempt_at - extract(epoch from now()) * 1000)::bigint AS due_in_ms, last_error, COUNT(*) AS n
       FROM deliveries WHERE event_id = ANY($1)
       GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY n DESC LIMIT 20`,
      [eventIds],
    );
    return JSON.stringify(rows);
  } finally {
    await client.end();
  }
}

/** The local cluster serving TEST_DATABASE_URL, when this machine can stop and start it. */
function localCluster(): { version: string; name: string } | null {
  const base = testDatabaseUrl();
  if (base === null || !existsSync('/usr/bin/pg_ctlcluster') || !existsSync('/usr/bin/pg_lsclusters'))
    return null;
  const url = new URL(base);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return null;
  if (process.getuid?.() !== 0 && process.env.USER !== 'postgres') return null;
  const port = url.port === '' ? '5432' : url.port;
  const lines = execFileSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' }).split('\n');
  for (const line of lines) {
    const [version, name, clusterPort] = line.trim().split(/\s+/);
    if (version && name && clusterPort === port) return { version, name };
  }
  return null;
}

const cluster = skip ? null : localCluster();

async function pgctl(action: 'stop' | 'start'): Promise<number> {
  if (cluster === null) throw new Error('no local cluster');
  const started = Date.now();
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', cluster.version, cluster.name, action], {
    timeout: 60_000,
  });
  return Date.now() - started;
}

async function clusterOnline(): Promise<boolean> {
  if (cluster === null) return false;
  const { stdout } = await run('pg_lsclusters', ['--no-header', cluster.version, cluster.name]);
  return /\bonline\b/.test(stdout);
}

test('PostgreSQL stopped and started under load: 503 while down, no crash, every acknowledged event delivered', {
  skip: skip || (cluster === null ? 'no local PostgreSQL cluster this user can stop and start' : false),
  timeout: 120_000,
}, async (t) => {
  const f = fixture(t);
  f.onCleanup(async () => {
    if (!(await clusterOnline())) await pgctl('start');
  });
  const database = await f.database();
  const tally = await f.receiver(50);
  const api = await f.api();
  // A slow receiver keeps a backlog, so the worker is claiming when PostgreSQL goes away.
  // The default 30 s lease: a claim committed just before the stop but never sent must be
  // given back when the database returns, not when its lease ends. The long poll: at the
  // end only a re-established LISTEN connection wakes the idle worker in time.
  const worker = await f.worker({ HOOKLANE_POLL_INTERVAL: '20s' });
  const target = await subscribe(api, tally.receiver.url);

  // Every answer to the senders and to /readyz, with when it was asked and answered.
  const answers: { sentAt: number; at: number; status: number; code?: string }[] = [];
  const readiness: { sentAt: number; at: number; status: number }[] = [];
  const acked = new Set<string>();
  const ackedAt = new Map<string, number>();
  const failures: string[] = [];
  let sending = true;
  let probing = true;
  f.onCleanup(async () => {
    sending = false;
    probing = false;
  });
  const sender = async (n: number) => {
    for (let i = 0; sending; i++) {
      const sentAt = Date.now();
      try {
        const { status, body } = await postEvents(api, target, events(10, `${n}-${i}`));
        answers.push({ sentAt, at: Date.now(), status, code: body?.error?.code });
        if (status === 202) {
          for (const id of body.ids as string[]) {
            acked.add(id);
            ackedAt.set(id, Date.now());
          }
        } else if (status !== 503) {
          failures.push(`${status} ${JSON.stringify(body)}`);
        }
      } catch (error) {
        failures.push(`request failed after ${Date.now() - sentAt} ms: ${(error as Error).message}`);
      }
      await sleep(25);
    }
  };
  const prober = async () => {
    while (probing) {
      const sentAt = Date.now();
      try {
        const response = await fetch(`${api.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer();
        readiness.push({ sentAt, at: Date.now(), status: response.status });
      } catch (error) {
        failures.push(`/readyz failed: ${(error as Error).message}`);
      }
      await sleep(100);
    }
  };

  const running = Promise.all([sender(0), sender(1), sender(2), prober()]);
  await sleep(2_000);
  const downAt = Date.now();
  await pgctl('stop');
  const stoppedAt = Date.now();
  await sleep(3_000);
  const startAt = Date.now();
  await pgctl('start');
  const upAt = Date.now();
  await waitUntil(
    '/readyz to answer 200 and an event to be acknowledged after the restart',
    20_000,
    () =>
      readiness.some((r) => r.sentAt > upAt && r.status === 200) &&
      answers.some((a) => a.sentAt > upAt && a.status === 202),
    [api, worker],
  );
  await sleep(2_000);
  sending = false;
  probing = false;
  await running;

  await waitUntil(
    `every acknowledged event (${acked.size}) at the receiver`,
    15_000,
    () => [...acked].every((id) => tally.eventIds.has(id)),
    [api, worker],
  ).catch(async (error: Error) => {
    const missing = [...acked].filter((id) => !tally.eventIds.has(id));
    throw new Error(
      `${error.message}: ${missing.length} missing; their deliveries: ${await deliveryStates(database.url, missing)}; ` +
        `worker log: ${worker.stdout().slice(-3000)}`,
      { cause: error },
    );
  });

  // The worker is idle now: a new event reaches it only through LISTEN/NOTIFY, well before its poll.
  await sleep(500);
  const probeSentAt = Date.now();
  const probe = await postEvents(api, target, events(1, 'after-restart'));
  assert.equal(probe.status, 202, JSON.stringify(probe.body));
  const probeId = probe.body.ids[0] as string;
  await waitUntil('an event sent after recovery to an idle worker (LISTEN)', 5_000, () =>
    tally.eventIds.has(probeId),
  );
  const probeLatency = (tally.arrivedAt.get(probeId) ?? 0) - probeSentAt;

  // The timeline, in ms after the stop began.
  const rel = (at: number | undefined) =>
    at === undefined || !Number.isFinite(at) ? '-' : `+${at - downAt}`;
  const failed = answers.filter((a) => a.status === 503);
  const first503 = failed[0];
  const last503 = failed.at(-1);
  const firstAckAfter = answers.find(
    (a) => first503 !== undefined && a.sentAt > first503.sentAt && a.status === 202,
  );
  const notReady = readiness.filter((r) => r.sentAt > downAt && r.status === 503);
  const readyAgain = readiness.find((r) => r.sentAt > (notReady.at(-1)?.sentAt ?? upAt) && r.status === 200);
  const slowest = Math.max(0, ...answers.filter((a) => a.sentAt >= downAt).map((a) => a.at - a.sentAt));
  // Events acknowledged before the stop that could only reach the receiver once PostgreSQL was back.
  const waited = [...acked].filter(
    (id) => (ackedAt.get(id) ?? 0) < downAt && (tally.arrivedAt.get(id) ?? 0) >= stoppedAt,
  );
  const firstDeliveryAfter = Math.min(...[...tally.arrivedAt.values()].filter((at) => at >= stoppedAt));
  const statuses = Object.fromEntries(
    [...new Set(answers.map((a) => a.status))].map((status) => [
      status,
      answers.filter((a) => a.status === status).length,
    ]),
  );
  t.diagnostic(
    `${acked.size} events acknowledged, requests ${JSON.stringify(statuses)}; timeline after the stop began (ms): ` +
      `pg stopped ${rel(stoppedAt)}, start began ${rel(startAt)}, start returned ${rel(upAt)}; ` +
      `ingestion 503 from ${rel(first503?.sentAt)} to ${rel(last503?.at)} (window ${seconds((last503?.at ?? 0) - (first503?.sentAt ?? 0))}), ` +
      `first 202 after it ${rel(firstAckAfter?.at)}; /readyz 503 from ${rel(notReady[0]?.sentAt)} to ${rel(notReady.at(-1)?.at)}, ` +
      `200 again ${rel(readyAgain?.at)}; first delivery after the stop ${rel(firstDeliveryAfter)}; ` +
      `${waited.length} events acknowledged before the stop waited for PostgreSQL, the last delivered ` +
      `${rel(Math.max(...waited.map((id) => tally.arrivedAt.get(id) ?? 0)))}; slowest answer while down ${slowest} ms; ` +
      `${duplicates(tally).extra} duplicates; an event sent to the idle worker afterwards arrived in ${probeLatency} ms`,
  );
  assert.deepEqual(failures, [], 'every request is answered, with 202 or 503 only');
  assert.ok(failed.length > 0, 'ingestion answered 503 while PostgreSQL was down');
  assert.deepEqual([...new Set(failed.map((a) => a.code))], ['unavailable']);
  assert.ok(slowest < 6_000, `a request took ${slowest} ms: ingestion hangs while the database is down`);
  assert.ok(
    notReady.some((r) => r.sentAt > stoppedAt && r.sentAt < startAt),
    '/readyz answered 503 while PostgreSQL was down',
  );
  assert.ok(readyAgain !== undefined, '/readyz answered 200 after');
  assertAlive([api, worker]);
});
