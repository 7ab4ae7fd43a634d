import { escapeUnsafeLines } from '../../lambdas/core/events/clean-text.js';

/**
 * One line (or lines) of a command's result on stdout; progress and prompts go to stderr, so
 * stdout stays parseable. Control and bidi characters are shown escaped: a user name or a dead
 * letter's id must not be able to clear the screen or forge a line. JSON output is unchanged in
 * meaning, since every escape written is also a JSON string escape.
 */
export function print(text = ''): void {
  process.stdout.write(`${escapeUnsafeLines(text)}\n`);
}
