// Plain JavaScript that old Node versions can parse and run: every entry point loads this first,
// before anything that needs a newer Node (the compile cache, type stripping, node:sqlite).
// Run directly (`node bin/check-node.js && ...`) it guards an npm script the same way.
import { readFileSync, writeSync } from 'node:fs';

const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const needed = /^>=\s*(\d+)\.(\d+)/.exec(engines.node);
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < Number(needed[1]) || (major === Number(needed[1]) && minor < Number(needed[2]))) {
  // writeSync: process.exit() does not wait for a piped stderr to drain on every platform.
  writeSync(
    2,
    `Hooklane needs Node.js ${needed[1]}.${needed[2]} or newer, and this is Node.js ${process.versions.node}. ` +
      'Install the LTS release from https://nodejs.org or with a version manager (e.g. `nvm install --lts`), then run this again.\n',
  );
  process.exit(2);
}
