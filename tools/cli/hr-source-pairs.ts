import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { HR_API_SOURCES, type HrApiSource } from '../../lambdas/contract/settings.js';
import { usageError } from './options.js';

/**
 * `<source>=<value>` flag values (`--account-id gusto=<uuid>`), each source one of `allowed`, in
 * the order given; a malformed pair or an unknown source is a usage error naming the flag.
 */
export function sourcePairs<Source extends string>(
  command: Command,
  flag: string,
  allowed: readonly Source[],
  pairs: readonly string[] = [],
): [Source, string][] {
  return pairs.map((pair) => {
    const at = pair.indexOf('=');
    const source = pair.slice(0, at);
    const value = pair.slice(at + 1);
    if (at < 1 || !value) usageError(command, `${flag} must be <source>=<value>, got ${pair}`);
    if (!(allowed as readonly string[]).includes(source)) {
      usageError(command, `${flag}: ${source} is not one of ${allowed.join(', ')}`);
    }
    return [source as Source, value];
  });
}

/** `<source>=<value>` flag values keyed by HR source (`--hr-api bamboohr=<url>`), one per source. */
export function hrSourcePairs(
  command: Command,
  flag: string,
  pairs: readonly string[] = [],
): Partial<Record<HrApiSource, string>> {
  return Object.fromEntries(sourcePairs(command, flag, HR_API_SOURCES, pairs));
}

/** `<source>=<file>` pairs read from their files (`-` for stdin): credentials are never flag values. */
export function hrSourceFiles(
  command: Command,
  flag: string,
  pairs: readonly string[] = [],
): Partial<Record<HrApiSource, string>> {
  return Object.fromEntries(
    Object.entries(hrSourcePairs(command, flag, pairs)).map(([source, path]) => [
      source,
      readFileSync(path === '-' ? 0 : path, 'utf8').trim(),
    ]),
  );
}
