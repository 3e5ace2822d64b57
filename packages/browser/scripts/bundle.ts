import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Browsers with fetch keepalive also have `??` and `?.` (ES2020). */
const TARGET = 'es2020';

/**
 * Writes the two builds into `outdir`: `hooklane.mjs` (the ES module of src/index.ts) and
 * `hooklane.js` (a classic `<script>`, src/script.ts, that puts the same functions on `window.hooklane`).
 */
export async function bundle(outdir: string): Promise<{ module: string; script: string }> {
  const entry = (name: string) => [fileURLToPath(new URL(`../src/${name}`, import.meta.url))];
  const common = { bundle: true, minify: true, target: TARGET, legalComments: 'none' as const };
  const module = `${outdir}/hooklane.mjs`;
  const script = `${outdir}/hooklane.js`;
  await build({ ...common, entryPoints: entry('index.ts'), format: 'esm', outfile: module });
  await build({ ...common, entryPoints: entry('script.ts'), format: 'iife', outfile: script });
  return { module, script };
}
