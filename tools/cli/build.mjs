// Compiles the CLI to dist/cli (run by `npm ci` through `prepare`, and by `npm run build:cli`).
// One ESM chunk per lazily loaded command group, so `--help` loads commander and nothing else;
// packages stay external and resolve from node_modules as they do for the sources.
import { rm, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';

const OUT_DIR = new URL('../../dist/cli/', import.meta.url);

// Chunk names carry content hashes: without emptying the folder, every edit leaves the old ones.
await rm(OUT_DIR, { recursive: true, force: true });
const result = await build({
  absWorkingDir: new URL('../../', import.meta.url).pathname,
  entryPoints: ['tools/cli/main.ts'],
  outdir: OUT_DIR.pathname,
  // Chunks beside main.js: modules that find the repository from their own URL (../../) still do.
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  packages: 'external',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
// bin.js compares these sources' times with the build's, so an edited source never runs stale.
const sources = Object.keys(result.metafile.inputs).filter((path) => !path.includes('node_modules/'));
await writeFile(new URL('sources.json', OUT_DIR), `${JSON.stringify(sources)}\n`);
