import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * `prepare` (npm runs it on `npm ci` and `npm install`): builds the console so that
 * `npm ci && npm start` serves it. An install without dev dependencies has no Vite: it says
 * so and succeeds, and the server's /ui then answers how to build the console.
 */
let vite: string;
try {
  vite = fileURLToPath(
    new URL('bin/vite.js', pathToFileURL(createRequire(import.meta.url).resolve('vite/package.json'))),
  );
} catch {
  console.warn(
    '@hooklane/console: Vite is not installed (dev dependencies omitted); the console is not built.',
  );
  process.exit(0);
}
const built = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
  stdio: 'inherit',
  cwd: fileURLToPath(new URL('..', import.meta.url)),
});
process.exit(built.status ?? 1);
