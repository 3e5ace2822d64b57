import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** What the end-to-end files share: Debian's Chromium, axe-core, screenshots in docs/images/. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
export const IMAGES = fileURLToPath(new URL('../../../docs/images/', import.meta.url));

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });

export async function newPage(
  browser: Browser,
  width = 1280,
  height = 800,
): Promise<{ context: BrowserContext; page: Page }> {
  // bypassCSP: the page forbids inline scripts, and axe-core is injected as one.
  const context = await browser.newContext({
    viewport: { width, height },
    bypassCSP: true,
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  return { context, page };
}

/** Runs axe-core on the page; fails on any serious or critical violation. */
export async function checkAccessibility(page: Page, screen: string): Promise<void> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const result = await (globalThis as any).axe.run(document);
    return result.violations
      .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v: any) =>
          `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`,
      );
  });
  assert.deepEqual(violations, [], `axe on ${screen}`);
}

/** Saves docs/images/`name`.png, at most 200 KB. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(IMAGES, `${name}.png`);
  await page.screenshot({ path });
  assert.ok(statSync(path).size <= 200 * 1024, `${name} screenshot is over 200 KB`);
}

/** Waits for a screen: its heading, then no loading indicator. */
export async function screen(page: Page, heading: string | RegExp): Promise<void> {
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  await page.waitForFunction(() => !document.querySelector('.loading'));
}
