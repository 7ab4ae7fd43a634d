import type { Command } from 'commander';
import { EXIT } from './exit-codes.js';

/** Parses a whole-number flag or ends the command with a usage error (exit 2) naming the flag. */
export function integerFlag(command: Command, name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    command.error(`error: --${name} must be an integer ${min}..${max}, got ${text}`, {
      exitCode: EXIT.usage,
    });
  }
  return value;
}
