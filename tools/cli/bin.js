#!/usr/bin/env node
// Runs the compiled CLI (dist/cli, built on `npm ci`) when it is newer than every source it was
// built from; otherwise the TypeScript sources through tsx, so an edit is never run stale.
import { readFileSync, statSync } from 'node:fs';

const ROOT = new URL('../../', import.meta.url);
const BUILT = new URL('dist/cli/main.js', ROOT);

function compiledIsFresh() {
  try {
    const builtAt = statSync(BUILT).mtimeMs;
    const sources = JSON.parse(readFileSync(new URL('dist/cli/sources.json', ROOT), 'utf8'));
    return sources.every((source) => statSync(new URL(source, ROOT)).mtimeMs <= builtAt);
  } catch {
    return false;
  }
}

let main;
if (compiledIsFresh()) {
  ({ main } = await import(BUILT.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('./main.ts'));
}
process.exitCode = await main(process.argv);
