import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { type ChildServer, startChildServer } from '../../hooklane/test/helpers/child-server.ts';
import { type Receiver, startReceiver } from '../../hooklane/test/helpers/receiver.ts';
import { seedPayload } from '../../hooklane/test/helpers/seeds.ts';
import { checkAccessibility, IMAGES, launchChromium, newPage, screen, screenshot } from './browser.ts';

/**
 * The portal end to end: the app at /portal signed in by a portal session's link, against a
 * real server and receiver on loopback, in Debian's Chromium, framed by a real parent page.
 */

let server: ChildServer;
let receiver: Receiver;
let browser: Browser;
let dataDir: string;
let accountId: string;
let adminKey: string;
let webhookId: string;

async function portalLink(
  capabilities: string[],
  name = 'Acme Corp',
): Promise<{ url: string; token: string }> {
  const created = await server.api('POST', `/v1/accounts/${accountId}/portal-sessions`, {
    key: adminKey,
    body: { capabilities, ttl: '1h', name },
  });
  assert.equal(created.status, 201);
  return created.body;
}

/** `url` with `?params` put before its fragment, as the docs tell an embedding page to, and a deep path. */
const withParams = (url: string, params: Record<string, string>, path = '/portal'): string => {
  const link = new URL(url);
  link.pathname = path;
  for (const [name, value] of Object.entries(params)) link.searchParams.set(name, value);
  return link.href;
};

before(async () => {
  mkdirSync(IMAGES, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'hooklane-portal-e2e-'));
  receiver = await startReceiver(() => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: '{}',
  }));
  server = await startChildServer(join(dataDir, 'data'), { env: { HOOKLANE_RETRY_SCHEDULE: '1h,1h' } });
  accountId = (await server.api('POST', '/v1/accounts', { body: { name: 'Acme' } })).body.id;
  adminKey = (
    await server.api('POST', `/v1/accounts/${accountId}/keys`, { body: { role: 'admin', name: 'ops' } })
  ).body.key;
  const webhook = await server.api('POST', `/v1/accounts/${accountId}/webhooks`, {
    key: adminKey,
    body: {
      name: 'Acme CRM',
      url: receiver.url,
      events: ['nps_score'],
      headers: { 'x-api-key': 'crm-credential' },
    },
  });
  assert.equal(webhook.status, 201);
  webhookId = webhook.body.id;
  // One NPS Score seed, so the portal's overview and lists have a delivery to show.
  const sent = await server.api('POST', `/v1/accounts/${accountId}/events`, {
    key: adminKey,
    body: seedPayload('NPS Score'),
  });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  await receiver.waitFor(1);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await receiver?.close();
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a portal link', () => {
  test('with read only: the token leaves the address bar, no edit control shows, and the API refuses an edit', async () => {
    const { url, token } = await portalLink(['read']);
    const { context, page } = await newPage(browser);
    try {
      await page.goto(withParams(url, { accent: '#635bff' }));
      await screen(page, 'Overview');
      assert.equal(new URL(page.url()).hash, '', 'the token is no longer in the address bar');
      assert.equal(await page.evaluate(() => sessionStorage.getItem('hooklane.portal-token')), token);
      await checkAccessibility(page, 'portal overview');
      await screenshot(page, 'portal-overview');
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Webhooks', exact: true })
        .click();
      await screen(page, 'Webhooks');
      assert.equal(await page.getByRole('link', { name: /New webhook/ }).count(), 0);
      await checkAccessibility(page, 'portal webhooks');
      await page.getByRole('link', { name: 'Acme CRM' }).click();
      await screen(page, 'Acme CRM');
      await checkAccessibility(page, 'portal webhook detail');
      for (const control of ['Edit', 'Delete', 'Disable', 'Reveal secret', 'Rotate secret']) {
        assert.equal(await page.getByRole('button', { name: control, exact: true }).count(), 0, control);
        assert.equal(await page.getByRole('link', { name: control, exact: true }).count(), 0, control);
      }
      assert.equal(await page.getByText('crm-credential').count(), 0, 'no static header value');
      for (const [path, heading] of [
        ['/deliveries', 'Deliveries'],
        ['/event-types', 'Event types'],
        ['/events', 'Events'],
      ] as const) {
        await page.goto(`${server.url}/portal${path}`);
        await screen(page, heading);
        await checkAccessibility(page, `portal ${path}`);
      }
      // Without the live stream, the events screen lists the latest stored events.
      await page.getByRole('heading', { name: 'Latest events' }).waitFor();
      await page.locator('section[aria-labelledby="stored-title"] tbody tr').first().waitFor();
      assert.equal(await page.getByRole('button', { name: 'Retry now' }).count(), 0);
      await page.goto(`${server.url}/portal/webhooks/${webhookId}/edit`);
      await screen(page, 'Not allowed');
      const refused = await server.api('PATCH', `/v1/accounts/${accountId}/webhooks/${webhookId}`, {
        key: token,
        body: { enabled: false },
      });
      assert.equal(refused.status, 403);
    } finally {
      await context.close();
    }
  });

  test('with manage_webhooks and read_secrets: edit controls and the secret show; the branding applies', async () => {
    const { url, token } = await portalLink(['read', 'manage_webhooks', 'read_secrets', 'retry']);
    const { context, page } = await newPage(browser);
    try {
      await page.goto(withParams(url, { theme: 'dark', accent: '#f5a623' }, `/portal/webhooks/${webhookId}`));
      await screen(page, 'Acme CRM');
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
      // A reload after moving inside the app (the query is gone) keeps the session and the branding.
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Overview', exact: true })
        .click();
      await screen(page, 'Overview');
      await page.reload();
      await screen(page, 'Overview');
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
      await page.goBack();
      await screen(page, 'Acme CRM');
      await page.getByRole('link', { name: 'Edit', exact: true }).waitFor();
      await page.getByRole('button', { name: 'Rotate secret' }).waitFor();
      await page.getByText('crm-credential').waitFor();
      await checkAccessibility(page, 'portal webhook detail, dark, all capabilities');
      await screenshot(page, 'portal-webhook-dark');
      // The form offers the filter, but no preview: the server does not let a portal session call it.
      await page.getByRole('link', { name: 'Edit', exact: true }).click();
      await screen(page, 'Edit webhook');
      await page.getByLabel('Payload filter', { exact: true }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Preview', exact: true }).count(), 0);
      const preview = await server.api('POST', `/v1/accounts/${accountId}/webhooks/preview`, {
        key: token,
        body: { format: 'slack' },
      });
      assert.equal(preview.status, 403);
    } finally {
      await context.close();
    }
  });

  test('posts its height to the page that frames it', async (t) => {
    const { url } = await portalLink(['read']);
    // The embedding page of docs/portal.md, served from another loopback origin.
    const parent: Server = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(`<!doctype html><html lang="en"><title>Parent</title><body style="font-family: sans-serif; margin: 2rem"><h1>Acme settings: webhooks</h1>
<iframe id="f" title="Webhooks" style="width: 100%; border: 0"></iframe>
<script>
  window.heights = [];
  const frame = document.getElementById('f');
  frame.src = ${JSON.stringify(url)};
  addEventListener('message', (m) => {
    if (m.source === frame.contentWindow && m.data?.type === 'hooklane:height') {
      window.heights.push(m.data.height);
      frame.style.height = m.data.height + 'px';
    }
  });
</script>`);
    });
    await new Promise<void>((resolve) => parent.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => parent.close(() => resolve())));
    const address = parent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const { context, page } = await newPage(browser);
    try {
      const logs: string[] = [];
      page.on('console', (m) => logs.push(m.text()));
      page.on('pageerror', (e) => logs.push(String(e)));
      await page.goto(`http://localhost:${port}/`);
      const frame = page.frameLocator('#f');
      await frame
        .getByRole('heading', { level: 1, name: 'Overview' })
        .waitFor({ timeout: 10_000 })
        .catch(async () => {
          assert.fail(
            `frame: ${logs.join('|')} ${page
              .frames()
              .map((f) => f.url())
              .join(' ')}`,
          );
        });
      await page
        .waitForFunction(() => (globalThis as any).heights.some((h: number) => h > 300), undefined, {
          timeout: 10_000,
        })
        .catch(async () =>
          assert.fail(
            `heights posted: ${await page.evaluate(() => JSON.stringify((globalThis as any).heights))}`,
          ),
        );
      // The portal may post again while its data arrives: read the frame and the last height
      // posted at one moment, once the frame has settled on it.
      const settled = await page
        .waitForFunction(
          () => {
            const posted = (globalThis as any).heights as number[];
            const framed = document.getElementById('f')!.getBoundingClientRect().height;
            return framed === posted.at(-1) ? { framed, last: posted.at(-1) } : false;
          },
          undefined,
          { timeout: 10_000 },
        )
        .then((handle) => handle.jsonValue())
        .catch(() => null);
      assert.ok(settled, 'the frame took the last height posted');
      await checkAccessibility(page, 'a parent page framing the portal');
      await screenshot(page, 'portal-framed');
    } finally {
      await context.close();
    }
  });

  test('stops working after revocation: the page says the link expired or was revoked', async () => {
    const { url, token } = await portalLink(['read']);
    const { context, page } = await newPage(browser);
    try {
      await page.goto(url);
      await screen(page, 'Overview');
      const revoked = await server.api('DELETE', `/v1/accounts/${accountId}/portal-sessions`, {
        key: adminKey,
      });
      assert.equal(revoked.status, 204);
      assert.equal((await server.api('GET', '/v1/portal-session', { key: token })).status, 401);
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Webhooks', exact: true })
        .click();
      await screen(page, 'This link has expired or was revoked');
      await checkAccessibility(page, 'portal expired');
      await screenshot(page, 'portal-expired');
      await page.reload();
      await screen(page, /This (link has expired|page needs a portal link)/);
    } finally {
      await context.close();
    }
  });
});
