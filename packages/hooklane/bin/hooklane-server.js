#!/usr/bin/env node
// The process entry of `npm start`: the compile cache first, then the TypeScript server.
import { enableCompileCache } from './compile-cache.js';

enableCompileCache();
const { runServer } = await import('../src/start.ts');
await runServer();
