import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

/**
 * The console's budget: all the JavaScript it ships, gzipped, at most 80 KB (the chart
 * library included, though it loads only with the overview). `npm run build` fails beyond it.
 */
export const BUDGET_BYTES = 80 * 1024;

export function shippedJavaScript(dist: URL): { files: { name: string; gzipped: number }[]; total: number } {
  const assets = new URL('assets/', dist);
  const files = readdirSync(assets)
    .filter((name) => name.endsWith('.js'))
    .map((name) => ({ name, gzipped: gzipSync(readFileSync(new URL(name, assets)), { level: 9 }).length }));
  return { files, total: files.reduce((sum, file) => sum + file.gzipped, 0) };
}

if (import.meta.main) {
  const { files, total } = shippedJavaScript(new URL('../dist/', import.meta.url));
  for (const file of files) console.log(`${file.name}  ${(file.gzipped / 1024).toFixed(1)} KB gzipped`);
  console.log(`total JavaScript: ${(total / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_BYTES / 1024} KB)`);
  if (total > BUDGET_BYTES) {
    console.error('The console ships more JavaScript than its budget.');
    process.exit(1);
  }
}
