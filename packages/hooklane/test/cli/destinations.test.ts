import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestServer } from '../helpers/hooklane.ts';
import { cliEnv, json, runCli } from './run-cli.ts';

// `webhooks create/update --match/--template`: a payload filter and a template, as JSON.

test('webhooks create and update take a payload filter and a template as JSON', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const account = await server.account();
  const env = cliEnv({
    HOOKLANE_URL: server.url,
    HOOKLANE_KEY: account.adminKey,
    HOOKLANE_ACCOUNT: account.id,
  });
  const match = { 'attributes.score': { $lte: 6 } };
  const template = { body: { email: '{{user_id}}', score: '{{attributes.score}}' } };
  const created = await runCli(
    [
      'webhooks',
      'create',
      'http://127.0.0.1:9/crm',
      '--events',
      'nps_score',
      '--content-id',
      'flow_1',
      '--format',
      'template',
      '--match',
      JSON.stringify(match),
      '--template',
      JSON.stringify(template),
      '--json',
    ],
    env,
  );
  assert.equal(created.code, 0, created.stderr);
  const webhook = json(created);
  assert.deepEqual(webhook.filters, { content_ids: ['flow_1'], match });
  assert.deepEqual(webhook.template, template);

  const narrowed = { 'attributes.score': { $lte: 3 } };
  const updated = await runCli(
    ['webhooks', 'update', webhook.id, '--match', JSON.stringify(narrowed), '--json'],
    env,
  );
  assert.equal(updated.code, 0, updated.stderr);
  assert.deepEqual(
    json(updated).filters,
    { content_ids: ['flow_1'], match: narrowed },
    'content ids are kept',
  );

  const bad = await runCli(
    ['webhooks', 'update', webhook.id, '--match', '{"attributes.score": {"$lte": true}}'],
    env,
  );
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /body\/filters\/match\/attributes\.score\/\$lte/);
  const notJson = await runCli(['webhooks', 'update', webhook.id, '--match', '{oops'], env);
  assert.notEqual(notJson.code, 0);
  assert.match(notJson.stderr, /expected JSON/);
});
