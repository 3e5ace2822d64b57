import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/hooklane.ts';

describe("GET /v1/accounts/{acc}/events: the account's latest events", () => {
  let server: TestServer;
  let acc: string;
  let admin: string;
  let viewer: string;
  let other: { id: string; adminKey: string };

  before(async () => {
    server = await startTestServer();
    ({ id: acc, adminKey: admin } = await server.account());
    other = await server.account();
    viewer = (await server.api('POST', `/v1/accounts/${acc}/keys`, { key: admin, body: { role: 'viewer' } }))
      .body.key;
    const events = [
      {
        id: 'e1',
        name: 'appcues:flow_started',
        user_id: 'u1',
        attributes: { flowId: 'f1', flowName: 'Welcome' },
      },
      {
        id: 'e2',
        name: 'appcues:nps_score',
        user_id: 'u2',
        attributes: { flowId: 'f2', flowName: 'NPS', score: 9 },
      },
      {
        id: 'e3',
        name: 'checklist_completed',
        user_id: 'u1',
        attributes: { checklistId: 'c1', checklistName: 'Setup' },
      },
    ];
    for (const event of events) {
      const sent = await server.api('POST', `/v1/accounts/${acc}/events`, { key: admin, body: event });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
    }
    await server.api('POST', `/v1/accounts/${other.id}/events`, {
      key: other.adminKey,
      body: { id: 'x1', name: 'appcues:flow_started', user_id: 'u1', attributes: { flowId: 'secret-flow' } },
    });
  });

  after(async () => {
    await server?.close();
  });

  test('newest first, as sent, with type and content id; a viewer may read them', async () => {
    const listed = await server.api('GET', `/v1/accounts/${acc}/events`, { key: viewer });
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(
      listed.body.data.map((e: { id: string }) => e.id),
      ['e3', 'e2', 'e1'],
    );
    const nps = listed.body.data[1];
    assert.equal(nps.type, 'nps_score');
    assert.equal(nps.user_id, 'u2');
    assert.equal(nps.content_id, 'f2');
    assert.equal(nps.event.attributes.flowName, 'NPS');
    assert.ok(!Number.isNaN(Date.parse(nps.ingested_at)));
  });

  test("limit bounds the answer; user_id keeps one user's events; other accounts' never show", async () => {
    const one = await server.api('GET', `/v1/accounts/${acc}/events?limit=1`, { key: admin });
    assert.deepEqual(
      one.body.data.map((e: { id: string }) => e.id),
      ['e3'],
    );
    const byUser = await server.api('GET', `/v1/accounts/${acc}/events?user_id=u1`, { key: admin });
    assert.deepEqual(
      byUser.body.data.map((e: { id: string }) => e.id),
      ['e3', 'e1'],
    );
    const nobody = await server.api('GET', `/v1/accounts/${acc}/events?user_id=u9`, { key: admin });
    assert.deepEqual(nobody.body.data, []);
    const foreign = await server.api('GET', `/v1/accounts/${other.id}/events`, { key: admin });
    assert.equal(foreign.status, 404, JSON.stringify(foreign.body));
  });

  test('bad input is a validation error and changes nothing', async () => {
    for (const query of ['limit=0', 'limit=251', 'limit=abc', 'user_id=']) {
      const answer = await server.api('GET', `/v1/accounts/${acc}/events?${query}`, { key: admin });
      assert.equal(answer.status, 400, `${query}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, 'validation_failed', query);
    }
    const unknown = await server.api('GET', `/v1/accounts/${acc}/events?colour=red`, { key: admin });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.code, 'unknown_query_parameter');
  });

  test('a portal session reads them with `read`; an ingest key may not', async () => {
    const portal = await server.api('POST', `/v1/accounts/${acc}/portal-sessions`, {
      key: admin,
      body: { capabilities: ['read'] },
    });
    const listed = await server.api('GET', `/v1/accounts/${acc}/events?limit=2`, { key: portal.body.token });
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.equal(listed.body.data.length, 2);
    const ingest = (
      await server.api('POST', `/v1/accounts/${acc}/keys`, { key: admin, body: { role: 'ingest' } })
    ).body.key;
    assert.equal((await server.api('GET', `/v1/accounts/${acc}/events`, { key: ingest })).status, 403);
  });

  test('is in the OpenAPI document', async () => {
    const doc = await server.api('GET', '/openapi.json');
    assert.ok(doc.body.paths['/v1/accounts/{acc}/events'].get, 'GET is documented');
  });
});
