import { type Command, InvalidArgumentError, Option } from 'commander';
import { ENV } from '../../lambdas/contract/environment.js';
import { EXIT } from './exit-codes.js';

/**
 * Ends the command with a usage error (exit 2): the command line or the shell was wrong, not the
 * operation, so scripts can tell "fix your call" from "try again".
 */
export function usageError(command: Command, message: string): never {
  command.error(`error: ${message}`, { exitCode: EXIT.usage });
}

/** A setting an operator gives as a flag or, once per shell, as an environment variable. */
export interface FlagOrEnv {
  /** As typed on the command line, e.g. `--table`. */
  readonly flag: string;
  /** Read when the flag is absent. */
  readonly env: string;
}

/**
 * The flag's value, else the variable's; when neither is set (or set empty) the usage error
 * names both, so the operator knows the two ways to fix it.
 */
export function requiredString(command: Command, value: string | undefined, source: FlagOrEnv): string {
  const resolved = value ?? process.env[source.env];
  if (!resolved) usageError(command, `pass ${source.flag} or set ${source.env}`);
  return resolved;
}

/** Settings more than one command takes, under the variable names the deployed functions read. */
export const SHARED_SETTINGS = {
  stateTable: { flag: '--table', env: ENV.stateTableName },
  queueUrl: { flag: '--queue-url', env: ENV.queueUrl },
  priorityQueueUrl: { flag: '--priority-queue-url', env: ENV.priorityQueueUrl },
  bulkQueueUrl: { flag: '--bulk-queue-url', env: ENV.bulkQueueUrl },
} as const satisfies Record<string, FlagOrEnv>;

/** The option for a flag-or-env setting; its help names the variable, as the usage error does. */
export function flagOrEnvOption(source: FlagOrEnv, valueName: string, description: string): Option {
  return new Option(`${source.flag} <${valueName}>`, `${description} (default: $${source.env})`);
}

/** A switch that is on when the flag is given or the variable is exactly `true`. */
export function enabledByFlagOrEnv(value: boolean | undefined, env: string): boolean {
  return value === true || process.env[env] === 'true';
}

/** Whether `value` is a whole number from `min` to `max`; one rule for every integer flag. */
function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/** Parses a whole-number flag or ends the command with a usage error (exit 2) naming the flag. */
export function integerFlag(command: Command, flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!isIntegerIn(value, min, max))
    usageError(command, `${flag} must be an integer ${min}..${max}, got ${text}`);
  return value;
}

/** A duration flag in whole seconds, at least one (a zero timeout or interval means a busy loop). */
export function positiveSecondsFlag(command: Command, flag: string, text: string): number {
  const value = Number(text);
  if (!isIntegerIn(value, 1, Number.POSITIVE_INFINITY)) {
    usageError(command, `${flag} must be a whole number of seconds >= 1`);
  }
  return value;
}

/**
 * An integer parser for commander's `argParser`, for flags with a default: commander reports
 * the flag and the bad value itself, followed by `expected`.
 */
export function integerArgument(min: number, max: number, expected: string): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!isIntegerIn(value, min, max)) throw new InvalidArgumentError(expected);
    return value;
  };
}

/** What a bulk command acts on: every item, or the ids given. */
export type AllOrIds = { readonly all: true } | { readonly ids: readonly string[] };

/**
 * `--all` or `--id ...`, exactly one: acting on everything must be asked for in so many words,
 * and "these, and also everything" is a mistake, not a wish.
 */
export function allOrIds(
  command: Command,
  flags: { all?: boolean; id?: string[] },
  idUsage: string,
): AllOrIds {
  if (Boolean(flags.all) === Boolean(flags.id))
    usageError(command, `pass exactly one of --all or ${idUsage}`);
  return flags.id ? { ids: flags.id } : { all: true };
}

/** `AWS_ENDPOINT_URL` when set (the local mode's moto), as an options fragment for the local runners. */
export function awsEndpointFromEnv(): { awsEndpoint?: string } {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  return endpoint ? { awsEndpoint: endpoint } : {};
}

/**
 * A usage error when nobody is at the terminal to answer a y/N prompt: a script that forgot
 * `--yes` must stop, not hang on the prompt or read its own input as the answer.
 */
export function refuseUnattended(command: Command, action: string): void {
  if (!process.stdin.isTTY) {
    usageError(command, `refusing to ${action} without --yes when stdin is not a terminal`);
  }
}
