import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { median } from './throughput.js';

const run = promisify(execFile);
/** From the repository root, which is `../../` both from this source and from its compiled chunk in dist/cli. */
const BIN = new URL('../../tools/cli/bin.js', import.meta.url).pathname;

export interface CliStartFigures {
  readonly helpMs: number;
  readonly bareNodeMs: number;
}

async function wallMs(args: readonly string[]): Promise<number> {
  const started = performance.now();
  await run(process.execPath, [...args]);
  return performance.now() - started;
}

/**
 * `cpaas-lifecycle --help` against `node -e 0`, in pairs so both see the same machine load: the
 * wall time an operator waits before any command does its own work (the median of `runs` pairs).
 */
export async function measureCliStart(runs: number): Promise<CliStartFigures> {
  const help: number[] = [];
  const bare: number[] = [];
  for (let pair = 0; pair < runs; pair += 1) {
    help.push(await wallMs([BIN, '--help']));
    bare.push(await wallMs(['-e', '0']));
  }
  return { helpMs: median(help), bareNodeMs: median(bare) };
}
