#!/usr/bin/env node
// The `hooklane` command. Node runs the TypeScript sources directly (type stripping).
import { runCli } from '../src/cli/main.ts';

process.exitCode = await runCli(process.argv);
