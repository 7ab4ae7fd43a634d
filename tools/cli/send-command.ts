import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { type Command, Option } from 'commander';
import { request } from 'undici';
import { signStandardWebhook } from '../../lambdas/ingest/sources/standard-webhooks.js';
import { COMMAND_SUMMARIES } from './command-summaries.js';
import { EXIT } from './exit-codes.js';
import { requiredString, usageError } from './options.js';

/** Lets people keep the signing secret out of their shell history and process list. */
export const WEBHOOK_SECRET_ENV = 'CPAAS_LIFECYCLE_WEBHOOK_SECRET';

/** The input is neither JSON (an event or an array) nor JSON Lines. */
export class EventsInputError extends Error {
  override readonly name = 'EventsInputError';
}

/**
 * Reads events as people have them: one JSON event, a JSON array, or JSON Lines (one per line,
 * blank lines ignored). Not validated here: the ingest endpoint is the judge, and its 422 says
 * which field is wrong.
 */
export function parseEventsText(input: string): unknown[] {
  try {
    const value: unknown = JSON.parse(input);
    return Array.isArray(value) ? value : [value];
  } catch {
    const lines = input.split('\n').filter((line) => line.trim() !== '');
    return lines.map((line, index) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw new EventsInputError(`line ${index + 1} is not JSON (input is neither JSON nor JSON Lines)`);
      }
    });
  }
}

export interface SignedPost {
  url: string;
  /** `whsec_...` */
  secret: string;
  body: string;
  msgId?: string;
  /** Unix seconds; now by default. */
  timestamp?: number;
}

/**
 * POSTs a body signed per Standard Webhooks, exactly as an HRIS-side sender would; the `send`
 * command and the local mode use it to feed `/webhooks/standard`.
 */
export async function postSignedWebhook(post: SignedPost): Promise<{ status: number; body: string }> {
  const headers = signStandardWebhook({
    secret: post.secret,
    msgId: post.msgId ?? `msg_${randomUUID()}`,
    timestamp: post.timestamp ?? Date.now() / 1000,
    body: post.body,
  });
  const response = await request(post.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: post.body,
  });
  return { status: response.statusCode, body: await response.body.text() };
}

/** The endpoint answered, but not with a 2xx; the answer has been printed. */
class SendRejectedError extends Error {
  override readonly name = 'SendRejectedError';
  readonly exitCode = EXIT.failed;
}

interface SendFlags {
  url: string;
  secret?: string;
}

/**
 * `cpaas-lifecycle send FILE|- --url URL --secret whsec_...`: signs canonical events and posts
 * them to an ingest endpoint, to test a set-up end to end without an HRIS.
 */
export function registerSendCommands(program: Command): void {
  program
    .command('send')
    .description(COMMAND_SUMMARIES.send)
    .argument('<file>', 'file with the events, or - for standard input')
    .requiredOption('--url <url>', 'ingest endpoint, e.g. http://127.0.0.1:8080/webhooks/standard')
    .addOption(new Option('--secret <whsec>', 'signing secret (whsec_...)').env(WEBHOOK_SECRET_ENV))
    .action(async (file: string, flags: SendFlags, command: Command) => {
      const secret = requiredString(command, flags.secret, { flag: '--secret', env: WEBHOOK_SECRET_ENV });
      const input = file === '-' ? await text(process.stdin) : await readFile(file, 'utf8');
      let events: unknown[];
      try {
        events = parseEventsText(input);
      } catch (error) {
        return usageError(command, (error as Error).message);
      }
      if (events.length === 0) return usageError(command, 'no events in the input');
      const body = JSON.stringify(events.length === 1 ? events[0] : events);
      const response = await postSignedWebhook({ url: flags.url, secret, body });
      process.stdout.write(`HTTP ${response.status}\n${response.body}\n`);
      if (response.status < 200 || response.status > 299) {
        throw new SendRejectedError(`the endpoint answered ${response.status}`);
      }
    });
}
