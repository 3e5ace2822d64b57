import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * `node scripts/publish-manifest.ts apply|restore`, run by `npm pack` (and `npm publish`)
 * before and after packing. In the workspace the package exports its TypeScript sources, which
 * Node runs directly; the published package must export the build in dist/, because Node does
 * not strip types under node_modules. npm, unlike pnpm, packs `publishConfig` as it is instead
 * of applying it, so `apply` writes publishConfig's manifest fields over the top-level ones
 * (keeping the workspace manifest aside) and `restore` puts the workspace manifest back.
 */
const MANIFEST_FIELDS = ['exports', 'main', 'types', 'bin'];
const manifest = new URL('../package.json', import.meta.url);
const kept = new URL('../package.workspace.json', import.meta.url);

function writeAtomically(url: URL, text: string): void {
  const temporary = new URL(`${url.href}.${process.pid}.tmp`);
  writeFileSync(temporary, text);
  renameSync(temporary, url);
}

function restore(): void {
  if (existsSync(kept)) renameSync(kept, manifest);
}

const mode = process.argv[2];
if (mode === 'apply') {
  restore(); // after an interrupted pack, start again from the workspace manifest
  const text = readFileSync(manifest, 'utf8');
  const pkg = JSON.parse(text);
  const publishConfig = { ...pkg.publishConfig };
  for (const field of MANIFEST_FIELDS) {
    if (!(field in publishConfig)) continue;
    pkg[field] = publishConfig[field];
    delete publishConfig[field];
  }
  if (Object.keys(publishConfig).length > 0) pkg.publishConfig = publishConfig;
  else delete pkg.publishConfig;
  writeFileSync(kept, text);
  writeAtomically(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (mode === 'restore') {
  restore();
} else {
  process.stderr.write('usage: node scripts/publish-manifest.ts apply|restore\n');
  process.exit(2);
}
