import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type Metafile, type Platform } from 'esbuild';
import { BUILTIN_ALIASES, LAMBDA_BUNDLING } from '../../infra/lifecycle-function.js';
import { median } from './throughput.js';

export interface ColdStartFigures {
  readonly handler: string;
  readonly bundleKb: number;
  readonly baselineKb: number;
  readonly initMs: number;
  readonly baselineInitMs: number;
  /** The AWS SDK clients the handler bundles, which the baseline imports too. */
  readonly sdkClients: readonly string[];
  readonly largest: readonly string[];
}

const run = promisify(execFile);
const REPO = new URL('../../', import.meta.url).pathname;
const SDK_CLIENT = /node_modules\/@aws-sdk\/(client-[a-z-]+|lib-dynamodb)\//;

/** The stack's esbuild settings (`LAMBDA_BUNDLING`) in esbuild's own option names. */
export async function bundleAsDeployed(entry: string, outfile: string): Promise<Metafile> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    metafile: true,
    format: LAMBDA_BUNDLING.format,
    target: LAMBDA_BUNDLING.target,
    platform: LAMBDA_BUNDLING.platform as Platform,
    minify: LAMBDA_BUNDLING.minify,
    mainFields: LAMBDA_BUNDLING.mainFields,
    banner: { js: LAMBDA_BUNDLING.banner },
    external: LAMBDA_BUNDLING.externalModules,
    alias: BUILTIN_ALIASES,
    absWorkingDir: REPO,
    logLevel: 'silent',
  });
  if (result.metafile === undefined) throw new Error(`esbuild wrote no metafile for ${entry}`);
  return result.metafile;
}

/** Module init: a fresh `node` importing the bundle, timed inside the process (no spawn cost). */
async function initMs(file: string): Promise<number> {
  const script = `const t=performance.now();await import(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
  return Number(stdout);
}

/**
 * Each handler bundled as the stack bundles it, next to a minimal handler that imports (and
 * constructs) the same AWS SDK clients: what the project's own code adds to size and init time.
 */
export async function measureColdStart(
  handlers: Readonly<Record<string, string>>,
  processes: number,
): Promise<ColdStartFigures[]> {
  const dir = await mkdtemp(join(tmpdir(), 'cpaas-bench-'));
  try {
    const figures: ColdStartFigures[] = [];
    for (const [name, entry] of Object.entries(handlers)) {
      const outfile = join(dir, `${name}.mjs`);
      const metafile = await bundleAsDeployed(join(REPO, entry), outfile);
      const packages = new Set<string>();
      for (const input of Object.keys(metafile.inputs)) {
        const match = SDK_CLIENT.exec(input);
        if (match?.[1]) packages.add(match[1]);
      }
      const sdkClients = [...packages].sort();
      const baselineEntry = join(dir, `${name}-baseline.mjs`);
      await writeFile(baselineEntry, baselineSource(sdkClients));
      const baselineOut = join(dir, `${name}-baseline.bundle.mjs`);
      await bundleAsDeployed(baselineEntry, baselineOut);
      const handlerTimes: number[] = [];
      const baselineTimes: number[] = [];
      for (let round = 0; round < processes; round += 1) {
        handlerTimes.push(await initMs(outfile));
        baselineTimes.push(await initMs(baselineOut));
      }
      figures.push({
        handler: name,
        bundleKb: (await stat(outfile)).size / 1024,
        baselineKb: (await stat(baselineOut)).size / 1024,
        initMs: median(handlerTimes),
        baselineInitMs: median(baselineTimes),
        sdkClients,
        largest: largestPackages(metafile, outfile, 5),
      });
    }
    return figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const CLIENT_CLASSES: Readonly<Record<string, string>> = {
  'client-dynamodb': 'DynamoDBClient',
  'client-secrets-manager': 'SecretsManagerClient',
  'client-sqs': 'SQSClient',
  'lib-dynamodb': 'DynamoDBDocumentClient',
};

/** A handler that imports and constructs each client, so the bundler keeps them as the real one does. */
function baselineSource(packages: readonly string[]): string {
  const lines: string[] = [];
  const uses: string[] = [];
  for (const name of packages) {
    const className = CLIENT_CLASSES[name];
    if (className === undefined) throw new Error(`no baseline import for @aws-sdk/${name}`);
    lines.push(`import { ${className} } from ${JSON.stringify(join(REPO, 'node_modules/@aws-sdk', name))};`);
    uses.push(
      className === 'DynamoDBDocumentClient'
        ? `${className}.from(new DynamoDBClient({}))`
        : `new ${className}({})`,
    );
  }
  lines.push(`export const handler = async () => [${uses.join(', ')}].length;`);
  return `${lines.join('\n')}\n`;
}

/** The packages contributing most bytes to a bundle: where a size ratio comes from. */
function largestPackages(metafile: Metafile, outfile: string, count: number): string[] {
  const output = Object.entries(metafile.outputs).find(
    ([path]) => outfile.endsWith(path) || path.endsWith(outfile.split('/').pop() ?? ''),
  );
  const bytes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.[1].inputs ?? {})) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    const name = match?.[1] ?? 'project code';
    bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
  }
  return [...bytes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, size]) => `${name} ${Math.round(size / 1024)} KB`);
}
