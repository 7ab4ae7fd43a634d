import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';

/**
 * The one logger port of every function, the CPaaS client and the local tools: structured lines,
 * a message and its attributes. Powertools' Logger fits it as is, so the Lambdas log JSON to
 * CloudWatch while tests and the local mode pass their own. Never given PII, secrets or bodies:
 * attributes carry ids, counts and error classes.
 */
export interface Logger {
  debug(message: string, attributes: Record<string, unknown>): void;
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

/** For wiring that logs nothing (tests, callers that did not ask for lines). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A deployed function's logger: Powertools' JSON lines tagged with the function's service name. */
export function powertoolsLogger(serviceName: string): Logger {
  return new PowertoolsLogger({ serviceName });
}
