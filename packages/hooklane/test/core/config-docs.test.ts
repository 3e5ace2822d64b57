import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CONFIG_DOC_COMMAND, CONFIG_DOC_PATH, renderConfigDoc } from '../../scripts/config-docs.ts';
import { SETTINGS } from '../../src/config.ts';

test('docs/configuration.md is generated from the settings and up to date', () => {
  const committed = readFileSync(CONFIG_DOC_PATH, 'utf8');
  assert.ok(
    committed === renderConfigDoc(),
    `docs/configuration.md is stale: run \`${CONFIG_DOC_COMMAND}\` at the repository root and commit the result`,
  );
});

test('the page has every setting once, with its default, under its group', () => {
  const page = renderConfigDoc();
  for (const setting of SETTINGS) {
    const rows = page.split('\n').filter((line) => line.startsWith(`| \`${setting.name}\` |`));
    assert.equal(rows.length, 1, setting.name);
    const expected = setting.default === null ? setting.unset : `\`${setting.default}\``;
    assert.ok(rows[0]?.includes(` | ${expected} | `), `${setting.name}: ${rows[0]}`);
  }
  assert.match(
    page,
    /## Retention\n\n\| variable[^\n]*\n\|---\|---\|---\|\n\| `HOOKLANE_RETENTION` \| `30d` \|/,
  );
});

test('a changed record shows in the page, so a stale page fails the first test', () => {
  const changed = SETTINGS.map((setting) =>
    setting.name === 'HOOKLANE_LEASE' ? { ...setting, default: '45s' } : setting,
  );
  assert.notEqual(renderConfigDoc(changed), renderConfigDoc());
  assert.match(renderConfigDoc(changed), /\| `HOOKLANE_LEASE` \| `45s` \|/);
});
