import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, startTestServer, type TestServer } from '../helpers/hooklane.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { type CliResult, cliEnv, json, runCli } from './run-cli.ts';

// `stats`, `events routing`, `deliveries recover --dry-run` and `webhooks preview`, run as the
// real binary against a real server delivering to real receivers: one webhook that answers 204,
// one that answers 500 (its delivery fails after the test schedule's retries), one subscribed to
// another type.

const ok = (result: CliResult): CliResult => {
  assert.equal(result.code, 0, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
};

describe('hooklane stats, events routing, recover --dry-run, webhooks preview', () => {
  let server: TestServer;
  let good: Receiver;
  let broken: Receiver;
  let env: Record<string, string>;
  const webhooks: { good: string; broken: string; other: string } = { good: '', broken: '', other: '' };
  let eventId: string;

  const create = async (url: string, events: string, name: string): Promise<string> =>
    json(ok(await runCli(['webhooks', 'create', url, '--events', events, '--name', name, '--json'], env))).id;

  before(async () => {
    server = await startTestServer();
    good = await startReceiver();
    broken = await startReceiver(() => ({ status: 500 }));
    const account = await server.account();
    env = cliEnv({ HOOKLANE_URL: server.url, HOOKLANE_KEY: account.adminKey });
    webhooks.good = await create(`${good.url}/ok`, 'flow_completed', 'Good');
    webhooks.broken = await create(`${broken.url}/fail`, 'flow_completed', 'Broken');
    webhooks.other = await create(`${good.url}/nps`, 'nps_score', 'NPS');
    eventId = json(ok(await runCli(['events', 'send', '--sample', 'flow_completed', '--json'], env))).ids[0];
    // Settled: the good delivery succeeded, the broken one failed after its retries.
    await eventually(
      async () => {
        const list = json(ok(await runCli(['deliveries', 'list', '--json'], env)));
        const statuses = list.data.map((d: any) => d.status).sort();
        return statuses.join() === 'failed,succeeded' ? true : undefined;
      },
      20_000,
      'both deliveries to settle',
    );
  });
  after(() => Promise.all([server.close(), good.close(), broken.close()]));

  it('stats: totals, success rate, the failing webhook, and a line with a sparkline per webhook', async () => {
    const stats = json(ok(await runCli(['stats', '--json'], env)));
    assert.equal(stats.bucket, 'hour');
    assert.equal(stats.totals.total, 2);
    assert.equal(stats.totals.succeeded, 1);
    assert.equal(stats.totals.failed, 1);
    assert.equal(stats.success_rate, 0.5);
    assert.deepEqual(
      stats.failing.map((w: any) => w.id),
      [webhooks.broken],
    );

    const table = ok(await runCli(['stats', '--since', '2h', '--bucket', 'hour'], env)).stdout;
    assert.match(table, /^deliveries\s+2: 1 succeeded, 1 failed, 0 retrying, 0 pending, 0 cancelled$/m);
    assert.match(table, /^success rate\s+50%$/m);
    assert.match(table, new RegExp(`^failing\\s+${webhooks.broken} \\(Broken\\) since \\S+$`, 'm'));
    assert.match(table, /^oldest pending\s+none$/m);
    assert.match(table, /^WEBHOOK\s+NAME\s+DELIVERIES\s+SUCCESS\s+PER HOUR\s+STATE$/m);
    // Two or three hourly buckets; the delivery's hour is the tallest bar.
    assert.match(table, new RegExp(`^${webhooks.good}\\s+Good\\s+1\\s+100%\\s+·*█·*\\s+ok$`, 'm'));
    assert.match(
      table,
      new RegExp(`^${webhooks.broken}\\s+Broken\\s+1\\s+0%\\s+·*█·*\\s+failing since `, 'm'),
    );
    assert.match(table, new RegExp(`^${webhooks.other}\\s+NPS\\s+0\\s+-\\s+·+\\s+ok$`, 'm'));

    const byDay = json(ok(await runCli(['stats', '--since', '3d', '--bucket', 'day', '--json'], env)));
    assert.equal(byDay.bucket, 'day');

    const refused = await runCli(['stats', '--bucket', 'week'], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /Allowed choices are hour, day/);
  });

  it("events routing: each webhook's delivery, or the reason it has none", async () => {
    const routing = json(ok(await runCli(['events', 'routing', eventId, '--json'], env)));
    assert.equal(routing.event_id, eventId);
    const byId = new Map(routing.webhooks.map((w: any) => [w.webhook_id, w]));
    assert.equal((byId.get(webhooks.good) as any).delivery.status, 'succeeded');
    assert.equal((byId.get(webhooks.broken) as any).delivery.status, 'failed');
    assert.equal((byId.get(webhooks.other) as any).reason, 'type_not_subscribed');

    const delivered = (byId.get(webhooks.good) as any).delivery.id;
    const table = ok(await runCli(['events', 'routing', eventId], env)).stdout;
    assert.match(table, new RegExp(`^${eventId} \\(appcues:flow_completed\\), ingested \\S+$`, 'm'));
    assert.match(table, new RegExp(`^${webhooks.good}\\s+Good\\s+delivered  ${delivered}  succeeded$`, 'm'));
    assert.match(
      table,
      new RegExp(`^${webhooks.other}\\s+NPS\\s+type_not_subscribed  does not subscribe to this event$`, 'm'),
    );

    const unknown = await runCli(['events', 'routing', 'no-such-event'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^hooklane: not_found: /m);
  });

  it('deliveries recover --dry-run prints the count and re-queues nothing', async () => {
    const failedBefore = json(ok(await runCli(['deliveries', 'list', '--status', 'failed', '--json'], env)));
    assert.equal(failedBefore.data.length, 1);
    const attemptsBefore = failedBefore.data[0].attempt_count;

    const plan = json(
      ok(await runCli(['deliveries', 'recover', '--since', '2h', '--dry-run', '--json'], env)),
    );
    assert.equal(plan.dry_run, true);
    assert.equal(plan.recovered, 1);
    assert.deepEqual(
      plan.webhooks.find((w: any) => w.id === webhooks.broken),
      { id: webhooks.broken, recovered: 1 },
    );
    const plain = ok(await runCli(['deliveries', 'recover', '--since', '2h', '--dry-run'], env));
    assert.match(
      plain.stdout,
      /^Would re-queue 1 failed delivery of 3 webhooks \(created \S+ to \S+\); nothing was changed\.$/m,
    );

    const unknown = await runCli(
      ['deliveries', 'recover', '--since', '2h', '--dry-run', '--webhook', 'wh_nosuchwebhook'],
      env,
    );
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^hooklane: not_found: /m);

    const failedAfter = json(ok(await runCli(['deliveries', 'list', '--status', 'failed', '--json'], env)));
    assert.equal(failedAfter.data.length, 1, 'still failed');
    assert.equal(failedAfter.data[0].attempt_count, attemptsBefore, 'no new attempt');
  });

  it('webhooks preview: for each recent event whether it matches, and the body', async () => {
    ok(await runCli(['events', 'send', '--sample', 'nps_score'], env));
    const match = JSON.stringify({ name: 'appcues:nps_score' });
    const preview = json(
      ok(await runCli(['webhooks', 'preview', '--format', 'slack', '--match', match, '--json'], env)),
    );
    const byName = new Map(preview.data.map((item: any) => [item.name, item]));
    assert.equal((byName.get('appcues:nps_score') as any).matches, true);
    assert.equal((byName.get('appcues:flow_completed') as any).matches, false);
    assert.ok(preview.template !== null, 'slack amounts to a template');

    const plain = ok(await runCli(['webhooks', 'preview', '--format', 'slack', '--match', match], env));
    const nps = byName.get('appcues:nps_score') as any;
    const flow = byName.get('appcues:flow_completed') as any;
    assert.match(
      plain.stdout,
      new RegExp(`^appcues:nps_score  ${nps.event_id}  matches  application/json$`, 'm'),
    );
    assert.match(
      plain.stdout,
      new RegExp(`^appcues:flow_completed  ${flow.event_id}  filtered out  application/json$`, 'm'),
    );
    assert.ok(plain.stdout.includes(`\n  ${nps.body}\n`), 'the body under its event');
    assert.match(plain.stderr, /The slack format is this template/);

    const bad = await runCli(
      [
        'webhooks',
        'preview',
        '--format',
        'template',
        '--template',
        '{"body": {"text": "{{attributes.score"}}',
      ],
      env,
    );
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /^hooklane: validation_failed: /m);
    const noFormat = await runCli(['webhooks', 'preview'], env);
    assert.equal(noFormat.code, 2);
  });
});
