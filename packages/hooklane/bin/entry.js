import { existsSync } from 'node:fs';

// A checkout has the TypeScript sources, which Node runs directly (type stripping). The published
// package ships the build in dist/ instead: Node does not strip types under node_modules.
const fromSources = existsSync(new URL('../src/', import.meta.url));

/** The URL of a server module, `path` relative to src/ without its extension, e.g. `cli/main`. */
export function entryUrl(path) {
  return new URL(fromSources ? `../src/${path}.ts` : `../dist/${path}.js`, import.meta.url).href;
}
