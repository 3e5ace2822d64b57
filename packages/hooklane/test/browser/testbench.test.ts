import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { verify } from '@hooklane/receiver';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { recognise } from '../../src/core/catalog.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/hooklane.ts';
import { type Received, type Receiver, startReceiver } from '../helpers/receiver.ts';

/**
 * The browser SDK, the testbench and publishable keys end to end: Debian's Chromium drives the
 * testbench served by a real server, which delivers to a receiver on loopback.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface Delivered {
  readonly request: Received;
  readonly event: Record<string, any>;
}

describe('the testbench in Chromium', { timeout: 100_000 }, () => {
  let server: TestServer;
  let receiver: Receiver;
  let browser: Browser;
  let account: { id: string; adminKey: string };
  let secret: string;
  let triggerSecret: string;
  let elsewhere: Server;
  let elsewhereOrigin: string;
  const origin = () => new URL(server.url).origin;

  const admin = (method: string, path: string, body?: unknown) =>
    server.api(method, `/v1/accounts/${account.id}${path}`, { key: account.adminKey, body });

  const publishableKey = async (extra: Record<string, unknown> = {}): Promise<string> => {
    const created = await admin('POST', '/keys', { role: 'publishable', origins: [origin()], ...extra });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.key;
  };

  /** The signed events the receiver got for `user`, verified, by event id. */
  const deliveredFor = async (user: string): Promise<Delivered[]> => {
    const found: Delivered[] = [];
    for (const request of receiver.requests.filter((r) => r.path === '/events')) {
      const verified = await verify(request.body, request.headers as Record<string, string>, secret);
      const event = verified.payload as Record<string, any>;
      if (event.user_id === user) found.push({ request, event });
    }
    return found;
  };
  const waitForEvents = (user: string, count: number, timeoutMs = 15_000) =>
    eventually(
      async () => {
        const found = await deliveredFor(user);
        return found.length >= count ? found : undefined;
      },
      timeoutMs,
      `${count} events of ${user}`,
    );

  const openTestbench = async (context: BrowserContext, key: string, user: string): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(`${server.url}/testbench?account=${account.id}&key=${key}&user=${user}`);
    await page.waitForFunction(() => typeof (globalThis as any).hooklane?.track === 'function');
    return page;
  };
  const newContext = async (): Promise<BrowserContext> => {
    const context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    return context;
  };
  const flush = (page: Page) => page.evaluate(() => (globalThis as any).hooklane.flush());

  before(async () => {
    server = await startTestServer();
    receiver = await startReceiver();
    account = await server.account();
    const all = await admin('POST', '/webhooks', {
      name: 'everything',
      url: `${receiver.url}/events`,
      events: ['*'],
    });
    secret = all.body.secret;
    const trigger = await admin('POST', '/webhooks', {
      name: 'onboarding crm',
      url: `${receiver.url}/trigger`,
      events: ['trigger:onboarding_finished'],
      format: 'usetiful',
      trigger: { name: 'onboarding_finished', fields: ['role', 'tour'] },
    });
    triggerSecret = trigger.body.secret;
    // A page on another origin (another loopback port) that the keys do not list.
    elsewhere = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!doctype html><title>elsewhere</title><p>elsewhere</p>');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    elsewhereOrigin = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => elsewhere?.close(resolve));
    await server?.close();
    await receiver?.close();
  });

  test('every interaction arrives signed, as its catalog type with the seed payload fields; the trigger carries only its fields', async () => {
    const key = await publishableKey({ events: null });
    // The default list has no triggers: this key lists the catalog's types and the trigger.
    const withTrigger = await admin('GET', '/keys');
    const id = withTrigger.body.data.find((k: { prefix: string }) => key.startsWith(k.prefix)).id;
    const allowed = [
      'banner_seen',
      'banner_closed',
      'flow_started',
      'flow_button_clicked',
      'flow_form_submitted',
    ];
    allowed.push(
      'flow_completed',
      'nps_score',
      'nps_feedback',
      'checklist_shown',
      'checklist_item_completed',
    );
    allowed.push('checklist_completed', 'pin_interacted', 'tour_completed', 'trigger:onboarding_finished');
    assert.equal((await admin('PATCH', `/keys/${id}`, { events: allowed })).status, 200);

    const context = await newContext();
    const page = await openTestbench(context, key, 'user-click');
    const seen: string[] = [];
    page.on('response', async (response) => {
      seen.push(response.url(), JSON.stringify(await response.allHeaders()));
      seen.push(await response.text().catch(() => ''));
    });
    await page.click('#banner-close');
    await page.click('#flow-start');
    await page.click('#flow-next');
    await page.click('#flow-submit');
    assert.equal(await page.isVisible('#flow-error'), true, 'the required field stops the form');
    await page.fill('#flow-role', 'Product Manager');
    await page.click('#flow-submit');
    await page.click('.nps-score[data-score="9"]');
    await page.fill('#nps-feedback', 'Fast and clear');
    await page.click('#nps-send');
    for (const box of await page.$$('.checklist-item')) await box.check();
    await page.click('#pin');
    await page.click('#tour-start');
    await page.click('#tour-next');
    await page.fill('#tour-role', 'Engineer');
    await page.click('#tour-finish');
    await page.waitForSelector('body[data-trigger]');
    assert.equal(await page.getAttribute('body', 'data-trigger'), '202');
    await flush(page);

    const expected = [
      'banner_seen',
      'checklist_shown',
      'banner_closed',
      'flow_started',
      'flow_button_clicked',
      'flow_form_submitted',
      'flow_completed',
      'nps_score',
      'nps_feedback',
      'checklist_item_completed',
      'checklist_item_completed',
      'checklist_item_completed',
      'checklist_completed',
      'pin_interacted',
      'tour_completed',
    ];
    const delivered = await waitForEvents('user-click', expected.length);
    const types = delivered.map(({ event }) => recognise(event as { name: string })?.id);
    assert.deepEqual([...types].sort(), [...expected].sort());
    const { findEventType } = await import('../../src/core/catalog.ts');
    for (const { event } of delivered) {
      const type = recognise(event as { name: string; attributes: unknown })!;
      assert.equal(event.source, 'browser');
      assert.equal('age_ms' in event, false);
      assert.ok(event.timestamp <= event.ingested_at);
      const sample = findEventType(type.id)!.sample.attributes as Record<string, unknown>;
      for (const field of Object.keys(sample)) {
        assert.ok(field in event.attributes, `${type.id} has ${field}`);
      }
    }
    const form = delivered.find(({ event }) => event.name === 'appcues:form_submitted')!.event;
    assert.equal(form.attributes.interaction.response[0].value, 'Product Manager');
    assert.equal(form.attributes.interaction.response[0].fieldRequired, true);
    assert.equal(
      delivered.find(({ event }) => event.name === 'appcues:nps_score')!.event.attributes.score,
      9,
    );

    const [trigger] = await eventually(() => {
      const got = receiver.requests.filter((r) => r.path === '/trigger');
      return got.length > 0 ? got : undefined;
    });
    const verified = await verify(trigger!.body, trigger!.headers as Record<string, string>, triggerSecret);
    assert.deepEqual(verified.payload, {
      name: 'onboarding crm',
      userId: 'user-click',
      events: [{ name: 'trigger', trigger: 'onboarding_finished', contentId: null }],
      data: { role: 'Engineer', tour: 'Welcome tour' },
    });
    // Nothing the page received names the receiver.
    const receiverPort = new URL(receiver.url).port;
    assert.ok(seen.length > 0);
    for (const text of [...seen, await page.content()])
      assert.doesNotMatch(text, new RegExp(`:${receiverPort}\\b`));
    await context.close();
  });

  test('a page on an origin the key does not list is refused, and nothing is delivered', async () => {
    const key = await publishableKey();
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${elsewhereOrigin}/`);
    await page.addScriptTag({ url: `${server.url}/sdk/hooklane.js` });
    // The server answers 403 without CORS headers: the page cannot even read the refusal.
    const refused = page.waitForEvent('requestfailed', (request) => request.url().includes('/events?key='));
    await page.evaluate(
      ({ url, account, key }) => {
        const hooklane = (globalThis as any).hooklane;
        hooklane.init({ url, account, key });
        hooklane.identify('user-elsewhere');
        hooklane.track('banner_closed', { contentId: 'b1', bannerName: 'New pricing' });
        return hooklane.flush();
      },
      { url: server.url, account: account.id, key },
    );
    assert.match((await refused).failure()?.errorText ?? '', /ERR_FAILED/);
    const direct = await fetch(`${server.url}/v1/accounts/${account.id}/events?key=${key}`, {
      method: 'POST',
      headers: { origin: elsewhereOrigin, 'content-type': 'text/plain' },
      body: JSON.stringify({
        events: [{ name: 'banner_closed', user_id: 'user-elsewhere', attributes: {} }],
      }),
    });
    assert.equal(direct.status, 403);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await deliveredFor('user-elsewhere')).length, 0);
    await context.close();
  });

  test('going offline and back loses nothing', async () => {
    const key = await publishableKey();
    const context = await newContext();
    const page = await openTestbench(context, key, 'user-offline');
    await flush(page);
    await waitForEvents('user-offline', 2);
    await context.setOffline(true);
    await page.click('#banner-close');
    await page.click('#pin');
    await page.click('.nps-score[data-score="3"]');
    await flush(page);
    assert.equal((await deliveredFor('user-offline')).length, 2);
    await context.setOffline(false);
    const delivered = await waitForEvents('user-offline', 5);
    assert.deepEqual(delivered.map(({ event }) => event.name).sort(), [
      'appcues:checklist_shown',
      'appcues:nps_score',
      'appcues:v2:step_interaction',
      'banner_closed',
      'banner_seen',
    ]);
    await context.close();
  });

  test('closing the tab right after a click still delivers the event', async () => {
    const key = await publishableKey();
    const context = await newContext();
    const page = await openTestbench(context, key, 'user-closing');
    await page.click('#pin');
    await page.close({ runBeforeUnload: true });
    const delivered = await waitForEvents('user-closing', 3);
    assert.ok(delivered.some(({ event }) => event.name === 'appcues:v2:step_interaction'));
    await context.close();
  });

  test('a burst beyond the rate limit gets 429, and the SDK later delivers every event', async () => {
    const key = await publishableKey({ rate_limit: { per_client: { per_second: 1, burst: 2 } } });
    const context = await newContext();
    const page = await openTestbench(context, key, 'user-burst');
    const statuses: number[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/events?key=')) statuses.push(response.status());
    });
    await page.evaluate(() => {
      const hooklane = (globalThis as any).hooklane;
      for (let i = 0; i < 48; i++)
        hooklane.track('banner_closed', { contentId: `b${i}`, bannerName: 'Burst' });
      return hooklane.flush();
    });
    const delivered = await waitForEvents('user-burst', 50, 30_000);
    assert.equal(new Set(delivered.map(({ event }) => event.id)).size, 50);
    assert.ok(statuses.includes(429), `statuses: ${statuses.join(',')}`);
    await context.close();
  });

  test('the SDK is served with a long cache lifetime and the integrity hash docs/browser.md gives', async () => {
    const response = await fetch(`${server.url}/sdk/hooklane.js`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('cache-control') ?? '', /max-age=604800/);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    const { createHash } = await import('node:crypto');
    const integrity = `sha384-${createHash('sha384')
      .update(Buffer.from(await response.arrayBuffer()))
      .digest('base64')}`;
    const { readFileSync } = await import('node:fs');
    const docs = readFileSync(new URL('../../../../docs/browser.md', import.meta.url), 'utf8');
    assert.ok(docs.includes(integrity), `docs/browser.md does not give ${integrity}`);
  });
});
