import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * `npm run build` (`npm pack` and `npm publish` run it first): compiles src/ to dist/, the
 * JavaScript the published package runs (bin/entry.js picks it where src/ is absent). tsc
 * rewrites the `.ts` import specifiers to `.js`; the files that are not TypeScript (the SQL
 * migrations, read at run time beside the code that applies them) are copied as they are.
 */
const root = new URL('../', import.meta.url);
const src = fileURLToPath(new URL('src/', root));
const dist = fileURLToPath(new URL('dist/', root));

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(
  process.execPath,
  [tsc, '-p', fileURLToPath(new URL('tsconfig.build.json', root))],
  {
    stdio: 'inherit',
  },
);
if (compiled.status !== 0) process.exit(compiled.status ?? 1);
cpSync(src, dist, { recursive: true, filter: (source) => !source.endsWith('.ts') });
