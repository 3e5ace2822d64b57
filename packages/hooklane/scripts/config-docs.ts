import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SETTING_GROUPS, SETTINGS, type Setting } from '../src/config.ts';

/**
 * Writes docs/configuration.md from the settings' records in src/config.ts (`npm run
 * docs:config`); test/core/config-docs.test.ts fails when the committed page differs.
 */

export const CONFIG_DOC_PATH = fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url));
export const CONFIG_DOC_COMMAND = 'npm run docs:config';

const INTRO = `# Configuration

<!-- Generated from packages/hooklane/src/config.ts by \`${CONFIG_DOC_COMMAND}\`: edit the settings there. -->

Hooklane reads every setting from the environment once, when a process starts. It checks them
all, reports every problem together (and does not start), and never reads them again: to change
a setting, restart the process.

A variable that is unset or blank takes its default. Durations are written with a unit: \`500ms\`,
\`15s\`, \`5m\`, \`2h\`, \`5d\` (a bare number is milliseconds). Sizes are in bytes.

\`\`\`sh
HOOKLANE_ALLOW_PRIVATE_NETWORKS=true HOOKLANE_RETRY_SCHEDULE=10s,1m,10m npm start
\`\`\`
`;

function defaultOf(setting: Setting): string {
  return setting.default === null ? (setting.unset ?? '(unset)') : `\`${setting.default}\``;
}

/** The page, from the records: a table per group, in the records' order. */
export function renderConfigDoc(settings: readonly Setting[] = SETTINGS): string {
  const sections = Object.entries(SETTING_GROUPS).flatMap(([group, title]) => {
    const rows = settings.filter((setting) => setting.group === group);
    if (rows.length === 0) return [];
    return [
      [
        `## ${title}`,
        '',
        '| variable | default | what it does |',
        '|---|---|---|',
        ...rows.map((s) => `| \`${s.name}\` | ${defaultOf(s)} | ${s.doc.replaceAll('|', '\\|')} |`),
        '',
      ].join('\n'),
    ];
  });
  return [INTRO, ...sections].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(CONFIG_DOC_PATH, renderConfigDoc());
  process.stdout.write(`wrote docs/configuration.md (${SETTINGS.length} settings)\n`);
}
