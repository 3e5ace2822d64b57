#!/usr/bin/env node
// The process entry of `npm start`: the Node version check, the compile cache, then the server.
import './check-node.js';
import { enableCompileCache } from './compile-cache.js';
import { entryUrl } from './entry.js';

enableCompileCache();
const { runServer } = await import(entryUrl('start'));
await runServer();
