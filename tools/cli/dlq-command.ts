import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { ENV } from '../../lambdas/contract/environment.js';
import { escapeUnsafeText } from '../../lambdas/core/events/clean-text.js';
import {
  type DeadLetter,
  findDeadLetter,
  listDeadLetters,
  purgeDeadLetters,
  redactBody,
  redriveDeadLetters,
  resolveSourceQueueUrl,
} from '../operations/dead-letter-queue.js';
import { SourceQueueUnknownError } from '../operations/errors.js';
import { COMMAND_SUMMARIES } from './command-summaries.js';
import { confirm } from './confirm.js';
import {
  allOrIds,
  type FlagOrEnv,
  flagOrEnvOption,
  refuseUnattended,
  requiredString,
  usageError,
} from './options.js';
import { print } from './output.js';
import { withSqs } from './sqs-client.js';
import { type TenantFlags, tenantOption } from './tenant-option.js';

interface QueueFlags extends TenantFlags {
  queueUrl?: string;
  json?: boolean;
}

interface RedriveFlags extends QueueFlags {
  sourceQueueUrl?: string;
  all?: boolean;
  id?: string[];
}

const DEAD_LETTER_QUEUE: FlagOrEnv = { flag: '--queue-url', env: ENV.deadLetterQueueUrl };
const queueOption = () => flagOrEnvOption(DEAD_LETTER_QUEUE, 'url', 'dead-letter queue URL');
const lettersTenantOption = () => tenantOption('dead letters to act on');

function queueUrlOf(command: Command, flags: QueueFlags): string {
  return requiredString(command, flags.queueUrl, DEAD_LETTER_QUEUE);
}

/** The queue and the tenant whose dead letters a command acts on. */
function tenantQueue(sqs: SQSClient, command: Command, flags: QueueFlags) {
  return { sqs, deadLetterQueueUrl: queueUrlOf(command, flags), tenant: flags.tenant };
}

function describeLine(letter: DeadLetter): string {
  const what = [letter.eventType ?? 'unknown event', letter.eventId ? `event ${letter.eventId}` : undefined]
    .filter(Boolean)
    .join(', ');
  const group = letter.messageGroupId ? ` group ${letter.messageGroupId}` : '';
  return `${escapeUnsafeText(`${letter.messageId}  ${what}${group}`)}\n  reason: ${escapeUnsafeText(letter.reason.summary)}`;
}

/** Without a body: listings go to terminals and tickets; `show --reveal` is the way to the raw body. */
function withoutBody(letter: DeadLetter): Omit<DeadLetter, 'body'> {
  const { body: _body, ...rest } = letter;
  return rest;
}

/**
 * `cpaas-lifecycle dlq ...`: what an operator does with dead letters on a bad day: see why each
 * one failed, send them back once the cause is fixed, or drop them. Every tenant's dead letters
 * share the lane's DLQ; each command acts on one tenant's (`--tenant`, default `default`) and never
 * moves or drops another's. The AWS endpoint, region and credentials come from the usual AWS SDK
 * environment (`AWS_ENDPOINT_URL` for the local mode).
 */
export function registerDlqCommands(program: Command): void {
  const dlq = program.command('dlq').description(COMMAND_SUMMARIES.dlq);
  registerList(dlq);
  registerShow(dlq);
  registerRedrive(dlq);
  registerPurge(dlq);
}

function registerList(dlq: Command): void {
  dlq
    .command('list')
    .description('List dead letters with their failure reason, without consuming them.')
    .addOption(queueOption())
    .addOption(lettersTenantOption())
    .option('--json', 'print JSON')
    .action(async (flags: QueueFlags, command: Command) => {
      const listing = await withSqs((sqs) => listDeadLetters(tenantQueue(sqs, command, flags)));
      if (flags.json) {
        print(
          JSON.stringify({
            tenant: flags.tenant,
            approximateTotal: listing.approximateTotal,
            messages: listing.messages.map(withoutBody),
          }),
        );
        return;
      }
      print(
        `${listing.messages.length} dead letter(s) of tenant ${flags.tenant} listed; ` +
          `SQS reports about ${listing.approximateTotal} in the queue, every tenant's.`,
      );
      if (listing.reached < listing.approximateTotal) {
        print('Some are in flight or hidden behind a FIFO group lock; list again in 30 s to see them.');
      }
      for (const letter of listing.messages) print(describeLine(letter));
    });
}

function registerShow(dlq: Command): void {
  dlq
    .command('show')
    .description('Show one dead letter: reason, attempts and the event (email and names masked).')
    .argument('<message-id>', 'SQS message id, as printed by `dlq list`')
    .addOption(queueOption())
    .addOption(lettersTenantOption())
    .option('--json', 'print JSON')
    .option('--reveal', 'print the body as is, personal data included')
    .action(async (messageId: string, flags: QueueFlags & { reveal?: boolean }, command: Command) => {
      const letter = await withSqs((sqs) =>
        findDeadLetter({ ...tenantQueue(sqs, command, flags), messageId }),
      );
      if (!letter) {
        throw new Error(
          `no dead letter ${messageId} of tenant ${flags.tenant} (already redriven or purged, or another tenant's?)`,
        );
      }
      const body = flags.reveal ? letter.body : redactBody(letter.body);
      if (flags.json) {
        print(JSON.stringify({ ...letter, body }));
        return;
      }
      print(describeLine(letter));
      if (letter.employeeId) print(`  employee: ${escapeUnsafeText(letter.employeeId)}`);
      if (letter.reason.failedAt) print(`  failed at: ${letter.reason.failedAt}`);
      if (letter.sentAt) print(`  dead-lettered at: ${letter.sentAt}`);
      print(`  received from the DLQ: ${letter.receiveCount} time(s), inspections included`);
      print(`  body:\n${body}`);
    });
}

/** `--source-queue-url`, else the queue whose redrive policy names this DLQ; not finding one is a usage error. */
async function sourceQueueUrlOf(
  command: Command,
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  given: string | undefined,
): Promise<string> {
  if (given) return given;
  try {
    return await resolveSourceQueueUrl({ sqs, deadLetterQueueUrl });
  } catch (error) {
    if (error instanceof SourceQueueUnknownError) usageError(command, error.message);
    throw error;
  }
}

function registerRedrive(dlq: Command): void {
  dlq
    .command('redrive')
    .description('Move dead letters back to the source queue (same body and group) once the cause is fixed.')
    .addOption(queueOption())
    .addOption(lettersTenantOption())
    .option(
      '--source-queue-url <url>',
      'queue to send them to (default: the queue that redrives to this DLQ)',
    )
    .option('--all', 'every dead letter')
    .option('--id <message-id...>', 'only these message ids')
    .option('--json', 'print JSON')
    .action(async (flags: RedriveFlags, command: Command) => {
      const selection = allOrIds(command, flags, '--id <message-id...>');
      const deadLetterQueueUrl = queueUrlOf(command, flags);
      await withSqs(async (sqs) => {
        const sourceQueueUrl = await sourceQueueUrlOf(command, sqs, deadLetterQueueUrl, flags.sourceQueueUrl);
        const result = await redriveDeadLetters({
          ...tenantQueue(sqs, command, flags),
          sourceQueueUrl,
          ...('ids' in selection ? { messageIds: selection.ids } : {}),
          ...(flags.json
            ? {}
            : { onMoved: (moved) => print(`moved ${moved.messageId} -> ${moved.newMessageId}`) }),
        });
        if (flags.json) print(JSON.stringify({ sourceQueueUrl, ...result }));
        else print(`${result.moved.length} dead letter(s) sent back to ${sourceQueueUrl}.`);
        if (result.notFound.length > 0) {
          throw new Error(
            `not redriven, not found (already moved, behind a FIFO group lock, or not tenant ${flags.tenant}'s): ${result.notFound.join(', ')}`,
          );
        }
      });
    });
}

function registerPurge(dlq: Command): void {
  dlq
    .command('purge')
    .description("Delete every dead letter of the tenant (never another tenant's). Asks first unless --yes.")
    .addOption(queueOption())
    .addOption(lettersTenantOption())
    .option('--yes', 'do not ask')
    .option('--json', 'print JSON')
    .action(async (flags: QueueFlags & { yes?: boolean }, command: Command) => {
      await withSqs(async (sqs) => {
        const queue = tenantQueue(sqs, command, flags);
        if (!flags.yes) {
          refuseUnattended(command, 'purge');
          const count = (await listDeadLetters(queue)).messages.length;
          const question = `Delete all ${count} dead letter(s) of tenant ${flags.tenant} in ${queue.deadLetterQueueUrl}? [y/N] `;
          if (!(await confirm(question))) {
            print('Nothing deleted.');
            return;
          }
        }
        const purged = await purgeDeadLetters(queue);
        print(
          flags.json
            ? JSON.stringify({ tenant: flags.tenant, purged })
            : `Deleted ${purged} dead letter(s) of tenant ${flags.tenant}.`,
        );
      });
    });
}
