import { createInterface } from 'node:readline/promises';

/** Asks a yes/no question on the terminal (prompt on stderr, so stdout stays parseable); only "y"/"yes" is yes. */
export async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}
