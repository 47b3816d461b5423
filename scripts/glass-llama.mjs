#!/usr/bin/env node
// The `glass-llama` command (package.json "bin"). The CLI is TypeScript (scripts/cli.ts);
// tsx's API compiles it on the fly, so the command needs no build step.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('./cli.ts', import.meta.url);
process.exitCode = await main(process.argv.slice(2));
