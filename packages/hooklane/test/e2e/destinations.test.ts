import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderPreset } from '../../src/core/destination-presets.ts';
import { eventually, startTestServer } from '../helpers/hooklane.ts';
import { type Behaviour, startReceiver } from '../helpers/receiver.ts';

// End to end: payload filters, templates, the ready-made destination formats and the preview,
// through the real server to a real receiver on 127.0.0.1.

const NPS = (score: number, feedback?: string) => ({
  name: 'appcues:nps_score',
  user_id: `user-${score}`,
  attributes: {
    flowId: 'c32fb928-7a1a-4feb-8993-696aa68fe5fb',
    flowName: 'NPS Survey',
    score,
    ...(feedback === undefined ? {} : { feedback }),
  },
  context: { url: 'https://app.example.com/settings' },
});

async function setUp(t: { after(fn: () => Promise<unknown>): void }, behaviour?: Behaviour) {
  const server = await startTestServer();
  const receiver = await startReceiver(behaviour);
  t.after(() => Promise.all([server.close(), receiver.close()]));
  const account = await server.api('POST', '/v1/accounts', { body: { name: 'destinations' } });
  const acc = account.body.id as string;
  const call = (method: string, path: string, body?: unknown) =>
    server.api(method, `/v1/accounts/${acc}${path}`, body === undefined ? {} : { body });
  const createWebhook = async (body: Record<string, unknown>) => {
    const created = await call('POST', '/webhooks', { url: `${receiver.url}/${body.name}`, ...body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body as { id: string; secret: string | null };
  };
  const send = async (events: unknown) => {
    const sent = await call('POST', '/events', events);
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    return sent.body.ids as string[];
  };
  const requestsTo = (name: string) => receiver.requests.filter((r) => r.path === `/${name}`);
  const deliveries = async (webhookId: string) =>
    (await call('GET', `/deliveries?webhook_id=${webhookId}`)).body.data as any[];
  return { server, receiver, acc, call, createWebhook, send, requestsTo, deliveries };
}

test('NPS detractors reach only the webhook filtered for them', async (t) => {
  const h = await setUp(t);
  const detractors = await h.createWebhook({
    name: 'detractors',
    events: ['nps_score'],
    filters: { match: { name: 'appcues:nps_score', 'attributes.score': { $lte: 6 } } },
  });
  await h.createWebhook({ name: 'everything', events: ['*'] });
  await h.send([NPS(3), NPS(10), NPS(6), NPS(9)]);

  await eventually(() => (h.requestsTo('everything').length === 4 ? true : undefined), 10_000, 'all four');
  const got = await eventually(
    () => (h.requestsTo('detractors').length >= 2 ? h.requestsTo('detractors') : undefined),
    10_000,
    'two detractors',
  );
  assert.deepEqual(got.map((r) => JSON.parse(r.body).attributes.score).sort(), [3, 6]);
  assert.equal((await h.deliveries(detractors.id)).length, 2);

  const read = await h.call('GET', `/webhooks/${detractors.id}`);
  assert.deepEqual(read.body.filters.match, { name: 'appcues:nps_score', 'attributes.score': { $lte: 6 } });
});

test('the four ready-made formats deliver the documented bodies', async (t) => {
  const h = await setUp(t);
  await h.createWebhook({ name: 'raw', events: ['nps_score'] });
  const sheets = await h.createWebhook({ name: 'sheets', events: ['nps_score'], format: 'google_sheets' });
  for (const format of ['slack', 'teams', 'zapier']) {
    await h.createWebhook({ name: format, events: ['nps_score'], format });
  }
  await h.send(NPS(4, 'Too <slow> & clunky'));
  const raw = await eventually(() => h.requestsTo('raw')[0], 10_000, 'the raw event');
  const event = JSON.parse(raw.body);

  for (const format of ['slack', 'teams', 'google_sheets', 'zapier'] as const) {
    const name = format === 'google_sheets' ? 'sheets' : format;
    const got = await eventually(() => h.requestsTo(name)[0], 10_000, format);
    const expected = renderPreset(format, event, { secret: sheets.secret });
    assert.ok(expected.ok);
    assert.equal(got.body, expected.body, format);
    assert.equal(got.headers['content-type'], 'application/json', format);
  }
  const slack = JSON.parse(h.requestsTo('slack')[0]!.body);
  assert.equal(slack.text, 'NPS Score — NPS Survey · score 4 · "Too &lt;slow&gt; &amp; clunky"');
  assert.equal(slack.blocks[0].text.type, 'mrkdwn');
  const teams = JSON.parse(h.requestsTo('teams')[0]!.body);
  assert.equal(teams.attachments[0].content.version, '1.4');
  const row = JSON.parse(h.requestsTo('sheets')[0]!.body);
  assert.equal(row.token, sheets.secret);
  assert.deepEqual(row.row.slice(1, 3), ['NPS Score', 'user-4']);
  const zapier = JSON.parse(h.requestsTo('zapier')[0]!.body);
  assert.equal(zapier['attributes.score'], 4);
  assert.equal(zapier.user_id, 'user-4');
});

test('a template renders with defaults, and a render error fails its delivery in the attempt', async (t) => {
  const h = await setUp(t);
  const template = {
    body: {
      user: '{{user_id}}',
      score: '{{attributes.score}}',
      comment: '{{attributes.feedback | "no comment"}}',
      flow: 'Flow {{attributes.flowName}}',
    },
  };
  await h.createWebhook({ name: 'crm', events: ['nps_score'], format: 'template', template });
  const strict = await h.createWebhook({
    name: 'strict',
    events: ['nps_score'],
    format: 'template',
    template: { body: { comment: '{{attributes.feedback}}' }, content_type: 'application/vnd.crm+json' },
  });
  await h.send(NPS(7));
  const got = await eventually(() => h.requestsTo('crm')[0], 10_000, 'the rendered template');
  assert.deepEqual(JSON.parse(got.body), {
    user: 'user-7',
    score: 7,
    comment: 'no comment',
    flow: 'Flow NPS Survey',
  });
  const failed = await eventually(
    async () => (await h.deliveries(strict.id)).find((d) => d.status === 'failed'),
    10_000,
    'the failed delivery',
  );
  assert.equal(failed.attempt_count, 1, 'a render error is not retried');
  const detail = await h.call('GET', `/deliveries/${failed.id}`);
  assert.match(detail.body.attempts[0].error, /attributes\.feedback/);
  assert.equal(h.requestsTo('strict').length, 0);
});

test("a google_sheets webhook counts Apps Script's 302 as delivered; others do not", async (t) => {
  const h = await setUp(t, () => ({ status: 302, headers: { location: 'https://script.example/out' } }));
  const sheets = await h.createWebhook({ name: 'sheets', events: ['nps_score'], format: 'google_sheets' });
  const plain = await h.createWebhook({ name: 'plain', events: ['nps_score'] });
  await h.send(NPS(8));
  const delivered = await eventually(
    async () => (await h.deliveries(sheets.id)).find((d) => d.status === 'succeeded'),
    10_000,
    'the sheets delivery',
  );
  assert.equal(delivered.last_status, 302);
  assert.equal(delivered.attempt_count, 1);
  await eventually(
    async () => ((await h.deliveries(plain.id))[0]?.attempt_count >= 2 ? true : undefined),
    10_000,
    'a retry of the plain webhook',
  );
});

test("the preview renders the account's last events and says which match", async (t) => {
  const h = await setUp(t);
  await h.send([NPS(2), NPS(9, 'great')]);
  const preview = await h.call('POST', '/webhooks/preview', {
    format: 'template',
    template: { body: { text: 'Score {{attributes.score}}: {{attributes.feedback}}' } },
    filters: { match: { 'attributes.score': { $lte: 6 } } },
  });
  assert.equal(preview.status, 200, JSON.stringify(preview.body));
  assert.equal(preview.body.data.length, 2);
  const byScore = new Map(preview.body.data.map((item: any) => [item.name + item.event_id, item]));
  const items = [...byScore.values()] as any[];
  const detractor = items.find((item) => item.matches);
  const promoter = items.find((item) => !item.matches);
  assert.ok(detractor && promoter);
  assert.equal(detractor.body, null);
  assert.match(detractor.error, /attributes\.feedback/);
  assert.equal(promoter.body, '{"text":"Score 9: great"}');

  const given = await h.call('POST', '/webhooks/preview', { format: 'slack', events: [NPS(5)] });
  assert.equal(given.status, 200, JSON.stringify(given.body));
  assert.equal(given.body.data.length, 1);
  assert.equal(given.body.data[0].matches, true);
  assert.equal(JSON.parse(given.body.data[0].body).text, 'NPS Score — NPS Survey · score 5');
  assert.equal(given.body.template.body.text, '{{$summary}}');
});

test('bad filters and templates are refused with the path and operator', async (t) => {
  const h = await setUp(t);
  const badFilter = await h.call('POST', '/webhooks', {
    name: 'bad',
    url: `${h.receiver.url}/bad`,
    events: ['*'],
    filters: { match: { 'attributes.score': { $lte: true } } },
  });
  assert.equal(badFilter.status, 400);
  assert.equal(badFilter.body.error.code, 'validation_failed');
  assert.equal(badFilter.body.error.details[0].path, 'body/filters/match/attributes.score/$lte');
  assert.match(badFilter.body.error.message, /\$lte/);

  const unknown = await h.call('POST', '/webhooks', {
    name: 'bad',
    url: `${h.receiver.url}/bad`,
    events: ['*'],
    filters: { match: { $or: [{ name: { $regex: 'x' } }] } },
  });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.error.details[0].path, 'body/filters/match/$or/0/name/$regex');

  const badTemplate = await h.call('POST', '/webhooks', {
    name: 'bad',
    url: `${h.receiver.url}/bad`,
    events: ['*'],
    format: 'template',
    template: { body: { text: '{{attributes.score | }}' } },
  });
  assert.equal(badTemplate.status, 400);
  assert.equal(badTemplate.body.error.details[0].path, 'body/template/body/text');

  const noSecret = await h.call('POST', '/webhooks', {
    name: 'bad',
    url: `${h.receiver.url}/bad`,
    events: ['*'],
    format: 'google_sheets',
    secret: null,
  });
  assert.equal(noSecret.status, 400);

  const ok = await h.createWebhook({ name: 'fine', events: ['*'] });
  const patched = await h.call('PATCH', `/webhooks/${ok.id}`, {
    filters: { match: { 'context.url': { $startsWith: 5 } } },
  });
  assert.equal(patched.status, 400);
  assert.equal(patched.body.error.details[0].path, 'body/filters/match/context.url/$startsWith');
  const list = await h.call('GET', '/webhooks');
  assert.equal(list.body.data.length, 1, 'nothing was stored');
  assert.equal(list.body.data[0].filters.match, undefined, 'the refused edit changed nothing');
});

test('a 410 yields hooklane.webhook.disabled at another webhook, never at the one gone', async (t) => {
  const h = await setUp(t, (_n, request) => (request.path === '/gone' ? { status: 410 } : undefined));
  const gone = await h.createWebhook({
    name: 'gone',
    events: ['*', 'hooklane.webhook.disabled'],
  });
  await h.createWebhook({ name: 'ops', events: ['hooklane.webhook.disabled'], format: 'slack' });
  await h.createWebhook({ name: 'raw-ops', events: ['hooklane.webhook.disabled'] });
  await h.createWebhook({ name: 'everything', events: ['*'] });
  const [eventId] = await h.send(NPS(1));

  const raw = await eventually(() => h.requestsTo('raw-ops')[0], 10_000, 'the disabled event');
  const event = JSON.parse(raw.body);
  assert.equal(event.name, 'hooklane.webhook.disabled');
  const [delivery] = await h.deliveries(gone.id);
  assert.deepEqual(event.attributes, {
    webhookId: gone.id,
    webhookName: 'gone',
    webhookUrl: `${h.receiver.url}/gone`,
    deliveryId: delivery.id,
    eventId,
    lastStatus: 410,
    reason: 'gone',
  });
  const slack = JSON.parse((await eventually(() => h.requestsTo('ops')[0], 10_000, 'slack'))!.body);
  assert.match(
    slack.text,
    /^Webhook Disabled — gone · http:\/\/127\.0\.0\.1:\d+\/gone · reason gone · last status 410$/,
  );
  assert.ok(raw.headers['webhook-signature'], 'operational events are signed like any other');

  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(h.requestsTo('gone').length, 1, 'the webhook gone gets nothing about itself');
  assert.equal(h.requestsTo('everything').length, 1, '`*` does not include operational events');
  assert.equal((await h.call('GET', `/webhooks/${gone.id}`)).body.enabled, false);
});

test('failing, recovered and exhausted are told to the webhooks that subscribe', async (t) => {
  const server = await startTestServer({ HOOKLANE_RETRY_SCHEDULE: '50ms,50ms,50ms,50ms' });
  let flaky = 0;
  const receiver = await startReceiver((_n, request) => {
    if (request.path === '/down') return { status: 503 };
    if (request.path === '/flaky') return { status: flaky++ < 4 ? 500 : 204 };
    return undefined;
  });
  t.after(() => Promise.all([server.close(), receiver.close()]));
  const account = await server.api('POST', '/v1/accounts', { body: { name: 'ops' } });
  const acc = account.body.id as string;
  const create = async (name: string, events: string[]) => {
    const created = await server.api('POST', `/v1/accounts/${acc}/webhooks`, {
      body: { name, url: `${receiver.url}/${name}`, events },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.id as string;
  };
  const flakyId = await create('flaky', ['nps_score']);
  const downId = await create('down', ['nps_score']);
  await create('watch', [
    'hooklane.webhook.failing',
    'hooklane.webhook.recovered',
    'hooklane.delivery.exhausted',
    'hooklane.webhook.disabled',
  ]);
  const sent = await server.api('POST', `/v1/accounts/${acc}/events`, { body: NPS(5) });
  assert.equal(sent.status, 202);

  const seen = () =>
    receiver.requests
      .filter((r) => r.path === '/watch')
      .map((r) => JSON.parse(r.body))
      .map((e) => `${e.name} ${e.attributes.webhookName} ${e.attributes.lastStatus}`)
      .sort();
  await eventually(() => (seen().length >= 4 ? true : undefined), 15_000, 'four operational events');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(seen(), [
    'hooklane.delivery.exhausted down 503',
    'hooklane.webhook.failing down 503',
    'hooklane.webhook.failing flaky 500',
    'hooklane.webhook.recovered flaky 204',
  ]);
  const byName = new Map(
    receiver.requests
      .filter((r) => r.path === '/watch')
      .map((r) => [JSON.parse(r.body).name, JSON.parse(r.body)]),
  );
  assert.equal(byName.get('hooklane.delivery.exhausted').attributes.attemptCount, 5);
  assert.ok([flakyId, downId].includes(byName.get('hooklane.webhook.recovered').attributes.webhookId));
});

test('senders cannot send events under the hooklane. prefix', async (t) => {
  const h = await setUp(t);
  const sent = await h.call('POST', '/events', { name: 'hooklane.webhook.disabled', user_id: 'u' });
  assert.equal(sent.status, 422);
});
