#!/usr/bin/env node
// Runs the TypeScript CLI straight from the source tree (no build step after `npm ci`).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
