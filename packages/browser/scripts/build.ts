import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundle } from './bundle.ts';

/**
 * `npm run build` (and `npm pack`): the two bundles and the type declarations in dist/, then
 * each bundle's gzipped size and the `<script>` build's Subresource Integrity hash.
 */
const dist = fileURLToPath(new URL('../dist', import.meta.url));
rmSync(dist, { recursive: true, force: true });
const { module, script } = await bundle(dist);

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const project = fileURLToPath(new URL('../tsconfig.build.json', import.meta.url));
const declared = spawnSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
if (declared.status !== 0) process.exit(declared.status ?? 1);

for (const file of [module, script]) {
  const code = readFileSync(file);
  console.log(`${file.slice(dist.length + 1)}: ${code.length} bytes, ${gzipSync(code).length} gzipped`);
}
const integrity = createHash('sha384').update(readFileSync(script)).digest('base64');
console.log(`hooklane.js integrity: sha384-${integrity}`);
