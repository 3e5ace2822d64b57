import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type ChildServer, childEnv, spawnServer, startChildServer } from '../helpers/child-server.ts';
import { eventually } from '../helpers/hooklane.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A temp data dir, a root key, and cleanup of every child and receiver the test started. */
function fixture(t: test.TestContext, base: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'hooklane-crash-'));
  const rootKey = `hlr_test_${randomBytes(16).toString('hex')}`;
  const children: ChildServer[] = [];
  const receivers: Receiver[] = [];
  t.after(async () => {
    for (const child of children) {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
      await child.exited;
    }
    await Promise.all(receivers.map((receiver) => receiver.close()));
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    dataDir,
    rootKey,
    base,
    async start(env: Record<string, string> = {}): Promise<ChildServer> {
      const child = await startChildServer(dataDir, { rootKey, env: { ...base, ...env } });
      children.push(child);
      return child;
    },
    async receiver(delayMs: number): Promise<Receiver> {
      const receiver = await startReceiver(() => ({ status: 204, delayMs }));
      receivers.push(receiver);
      return receiver;
    },
  };
}

/** Creates an account, an admin key and a `["*"]` webhook to `url`. */
async function subscribe(server: ChildServer, url: string): Promise<{ accountId: string; adminKey: string }> {
  const account = await server.api('POST', '/v1/accounts', { body: { name: 'crash test' } });
  assert.equal(account.status, 201, JSON.stringify(account.body));
  const key = await server.api('POST', `/v1/accounts/${account.body.id}/keys`, { body: { role: 'admin' } });
  assert.equal(key.status, 201, JSON.stringify(key.body));
  const webhook = await server.api('POST', `/v1/accounts/${account.body.id}/webhooks`, {
    key: key.body.key,
    body: { name: 'all', url: `${url}/hook`, events: ['*'] },
  });
  assert.equal(webhook.status, 201, JSON.stringify(webhook.body));
  return { accountId: account.body.id, adminKey: key.body.key };
}

function receivedIds(receiver: Receiver): string[] {
  return receiver.requests.map((request) => JSON.parse(request.body).id as string);
}

/** Waits until every id in `owed` reached the receiver; returns the time it took. */
async function allDelivered(
  receiver: Receiver,
  owed: ReadonlySet<string>,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  let missing = owed.size;
  try {
    await eventually(
      () => {
        const got = new Set(receivedIds(receiver));
        missing = [...owed].filter((id) => !got.has(id)).length;
        return missing === 0 ? true : undefined;
      },
      timeoutMs,
      'every acknowledged event',
    );
  } catch (error) {
    throw new Error(`${missing} of ${owed.size} acknowledged events were never delivered`, { cause: error });
  }
  return Date.now() - started;
}

// The embedded store inline, and on its own thread (HOOKLANE_SQLITE_THREAD).
for (const [mode, env] of [
  ['', {}],
  [' (store on its own thread)', { HOOKLANE_SQLITE_THREAD: 'true' }],
] as const) {
  test(`SIGKILL under load loses no acknowledged event: all are delivered after a restart${mode}`, async (t) => {
    const f = fixture(t, env);
    const receiver = await f.receiver(20);
    // A lease far beyond the test's bound: only the store taking back the dead process's
    // claims at open (not their expiry) can get the in-flight deliveries out in time.
    const lease = { HOOKLANE_LEASE: '5m' };
    const first = await f.start(lease);
    const { accountId, adminKey } = await subscribe(first, receiver.url);

    // Four senders post batches of five events until the kill (bounded in time and count).
    const acked = new Set<string>();
    let requestsAnswered = 0;
    let requestsFailed = 0;
    let killed = false;
    const sender = async (worker: number) => {
      for (let batch = 0; batch < 2_000 && !killed; batch++) {
        const events = Array.from({ length: 5 }, (_, i) => ({
          name: 'appcues:flow_started',
          user_id: `user-${worker}-${batch}-${i}`,
          attributes: { flowId: `flow-${worker}` },
        }));
        try {
          const response = await fetch(`${first.url}/v1/accounts/${accountId}/events`, {
            method: 'POST',
            headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
            body: JSON.stringify(events),
            signal: AbortSignal.timeout(5_000),
          });
          const body = (await response.json()) as { ids?: string[] };
          if (response.status !== 202) throw new Error(`ingest answered ${response.status}`);
          for (const id of body.ids ?? []) acked.add(id);
          requestsAnswered++;
        } catch {
          // The server died under this request: it was never acknowledged.
          requestsFailed++;
          if (!killed) await sleep(10);
        }
      }
    };
    const senders = Promise.all([0, 1, 2, 3].map(sender));
    // About 1.5 s of load; a little longer on a slow machine, so that the kill finds a backlog.
    const loadStarted = Date.now();
    const loading = () => {
      const elapsed = Date.now() - loadStarted;
      return elapsed < 1_500 || (acked.size < 200 && elapsed < 6_000);
    };
    while (loading()) await sleep(50);
    const deliveredBeforeKill = receiver.requests.length;
    first.process.kill('SIGKILL');
    killed = true;
    const exit = await first.exited;
    assert.equal(exit.signal, 'SIGKILL');
    await senders;
    const owed = new Set(acked);
    assert.ok(owed.size >= 100, `the load was real (${owed.size} events acknowledged)`);
    const missingAtKill = [...owed].filter((id) => !new Set(receivedIds(receiver)).has(id)).length;
    t.diagnostic(
      `acknowledged ${owed.size} events in ${requestsAnswered} requests (${requestsFailed} failed at the kill); ` +
        `${deliveredBeforeKill} requests delivered before the kill, ${missingAtKill} acknowledged events owed`,
    );

    const restartedAt = Date.now();
    const second = await f.start(lease);
    const startup = Date.now() - restartedAt;
    const took = await allDelivered(receiver, owed, 30_000);
    const ids = receivedIds(receiver);
    const duplicates = ids.length - new Set(ids).size;
    t.diagnostic(
      `restart took ${startup} ms; every acknowledged event delivered ${took} ms later; ${duplicates} duplicates`,
    );

    // Duplicates are allowed (at-least-once). Events committed but not yet acknowledged at the
    // kill may be delivered too: the 202 was lost, not the event.
    const health = await second.api('GET', '/readyz', { key: null });
    assert.equal(health.status, 200);
    const stopped = await second.stop('SIGTERM');
    assert.equal(stopped.code, 0, second.stderr());
  });

  test(`a second process on the same data dir refuses to start, clearly, while the first runs${mode}`, async (t) => {
    const f = fixture(t, env);
    const first = await f.start();
    const second = spawnServer(childEnv(f.dataDir, f.rootKey, env));
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      second.exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          second.child.kill('SIGKILL');
          reject(new Error(`the second process kept running; stdout: ${second.stdout()}`));
        }, 15_000);
      }),
    ]).finally(() => clearTimeout(timer));
    assert.notEqual(exit.code, 0, 'a non-zero exit');
    assert.equal(exit.signal, null);
    assert.match(second.stderr(), /Another Hooklane process is using/);
    assert.ok(second.stderr().includes(f.dataDir), 'the message names the data dir');
    assert.doesNotMatch(second.stdout(), /listening/);
    assert.ok(second.stderr().split('\n').length < 10, `a message, not a stack trace: ${second.stderr()}`);

    // The first one is unharmed.
    const ready = await first.api('GET', '/readyz', { key: null });
    assert.equal(ready.status, 200);
    const stopped = await first.stop('SIGTERM');
    assert.equal(stopped.code, 0, first.stderr());

    // Once the first has stopped, the data dir is free again.
    const third = await f.start();
    assert.equal((await third.api('GET', '/healthz', { key: null })).status, 200);
    assert.equal((await third.stop('SIGTERM')).code, 0);
  });

  test(`SIGTERM stops the server gracefully with exit code 0, and a restart finishes the work${mode}`, async (t) => {
    const f = fixture(t, env);
    const receiver = await f.receiver(300);
    const first = await f.start({ HOOKLANE_SHUTDOWN_GRACE: '2s' });
    const { accountId, adminKey } = await subscribe(first, receiver.url);
    const owed = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const events = Array.from({ length: 25 }, (_, j) => ({ name: 'custom_event', user_id: `u${i}-${j}` }));
      const sent = await first.api('POST', `/v1/accounts/${accountId}/events`, {
        key: adminKey,
        body: events,
      });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      for (const id of sent.body.ids as string[]) owed.add(id);
    }
    await receiver.waitFor(1, 10_000);
    const stoppedAt = Date.now();
    const exit = await first.stop('SIGTERM', 20_000);
    const stopTook = Date.now() - stoppedAt;
    assert.equal(exit.code, 0, `exit ${exit.code ?? exit.signal}; stderr: ${first.stderr()}`);
    assert.equal(exit.signal, null);
    assert.ok(stopTook < 10_000, `the stop honoured the 2 s grace (${stopTook} ms)`);
    const deliveredAtStop = new Set(receivedIds(receiver)).size;
    t.diagnostic(`SIGTERM exit took ${stopTook} ms with ${deliveredAtStop} of ${owed.size} delivered`);

    // Nothing worse than a warning was logged on the way down.
    assert.doesNotMatch(first.stdout(), /"level":(50|60)/, first.stdout());

    const second = await f.start();
    const took = await allDelivered(receiver, owed, 30_000);
    t.diagnostic(`the restart delivered the rest in ${took} ms`);
    // The requests that were in flight at SIGTERM finished within the grace and were recorded:
    // the restart does not send them again.
    await sleep(300);
    const ids = receivedIds(receiver);
    assert.equal(ids.length - new Set(ids).size, 0, 'no delivery is repeated after a graceful stop');
    assert.equal((await second.stop('SIGTERM')).code, 0);
  });
}
