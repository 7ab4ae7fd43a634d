/** One line of a command's result on stdout; progress and prompts go to stderr, so stdout stays parseable. */
export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}
