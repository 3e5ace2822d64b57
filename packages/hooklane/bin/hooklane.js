#!/usr/bin/env node
// The `hooklane` command. In a checkout Node runs the TypeScript sources directly (type
// stripping); the compile cache, turned on before they load, spares a warm start the stripping.
import './check-node.js';
import { enableCompileCache } from './compile-cache.js';
import { entryUrl } from './entry.js';

enableCompileCache();
const { runCli } = await import(entryUrl('cli/main'));
process.exitCode = await runCli(process.argv);
