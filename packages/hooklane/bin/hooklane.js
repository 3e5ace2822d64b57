#!/usr/bin/env node
// The `hooklane` command. Node runs the TypeScript sources directly (type stripping); the
// compile cache, turned on before they load, spares a warm start the stripping.
import { enableCompileCache } from './compile-cache.js';

enableCompileCache();
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv);
