import { SQSClient } from '@aws-sdk/client-sqs';
import { type Command, Option } from 'commander';
import { ENV } from '../../lambdas/contract/environment.js';
import {
  countDeadLetters,
  type DeadLetter,
  findDeadLetter,
  listDeadLetters,
  purgeDeadLetters,
  redactBody,
  redriveDeadLetters,
  resolveSourceQueueUrl,
} from '../operations/dead-letter-queue.js';
import { SourceQueueUnknownError } from '../operations/errors.js';
import { confirm } from './confirm.js';
import { EXIT } from './exit-codes.js';

interface QueueFlags {
  queueUrl?: string;
  json?: boolean;
}

function queueUrlOf(command: Command, flags: QueueFlags): string {
  const url = flags.queueUrl ?? process.env[ENV.deadLetterQueueUrl];
  if (!url)
    command.error(`error: pass --queue-url or set ${ENV.deadLetterQueueUrl}`, { exitCode: EXIT.usage });
  return url;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function describeLine(letter: DeadLetter): string {
  const what = [letter.eventType ?? 'unknown event', letter.eventId ? `event ${letter.eventId}` : undefined]
    .filter(Boolean)
    .join(', ');
  const group = letter.messageGroupId ? ` group ${letter.messageGroupId}` : '';
  return `${letter.messageId}  ${what}${group}\n  reason: ${letter.reason.summary}`;
}

/** Without a body: listings go to terminals and tickets; `show --reveal` is the way to the raw body. */
function withoutBody(letter: DeadLetter): Omit<DeadLetter, 'body'> {
  const { body: _body, ...rest } = letter;
  return rest;
}

/**
 * `cpaas-lifecycle dlq ...`: what an operator does with dead letters on a bad day: see why each
 * one failed, send them back once the cause is fixed, or drop them. The AWS endpoint, region and
 * credentials come from the usual AWS SDK environment (`AWS_ENDPOINT_URL` for the local mode).
 */
export function registerDlqCommands(program: Command): void {
  const dlq = program.command('dlq').description('Inspect, redrive or purge the dead-letter queue.');
  const queueOption = () =>
    new Option('--queue-url <url>', `dead-letter queue URL (default: $${ENV.deadLetterQueueUrl})`);

  dlq
    .command('list')
    .description('List dead letters with their failure reason, without consuming them.')
    .addOption(queueOption())
    .option('--json', 'print JSON')
    .action(async (flags: QueueFlags, command: Command) => {
      const sqs = new SQSClient({});
      try {
        const listing = await listDeadLetters({ sqs, deadLetterQueueUrl: queueUrlOf(command, flags) });
        if (flags.json) {
          print(
            JSON.stringify({
              approximateTotal: listing.approximateTotal,
              messages: listing.messages.map(withoutBody),
            }),
          );
          return;
        }
        print(
          `${listing.messages.length} dead letter(s) listed; SQS reports about ${listing.approximateTotal}.`,
        );
        if (listing.messages.length < listing.approximateTotal) {
          print('Some are in flight or hidden behind a FIFO group lock; list again in 30 s to see them.');
        }
        for (const letter of listing.messages) print(describeLine(letter));
      } finally {
        sqs.destroy();
      }
    });

  dlq
    .command('show')
    .description('Show one dead letter: reason, attempts and the event (email and names masked).')
    .argument('<message-id>', 'SQS message id, as printed by `dlq list`')
    .addOption(queueOption())
    .option('--json', 'print JSON')
    .option('--reveal', 'print the body as is, personal data included')
    .action(async (messageId: string, flags: QueueFlags & { reveal?: boolean }, command: Command) => {
      const sqs = new SQSClient({});
      try {
        const letter = await findDeadLetter({
          sqs,
          deadLetterQueueUrl: queueUrlOf(command, flags),
          messageId,
        });
        if (!letter) throw new Error(`no dead letter ${messageId} (already redriven or purged?)`);
        const body = flags.reveal ? letter.body : redactBody(letter.body);
        if (flags.json) {
          print(JSON.stringify({ ...letter, body }));
          return;
        }
        print(describeLine(letter));
        if (letter.employeeId) print(`  employee: ${letter.employeeId}`);
        if (letter.reason.failedAt) print(`  failed at: ${letter.reason.failedAt}`);
        if (letter.sentAt) print(`  dead-lettered at: ${letter.sentAt}`);
        print(`  received from the DLQ: ${letter.receiveCount} time(s), inspections included`);
        print(`  body:\n${body}`);
      } finally {
        sqs.destroy();
      }
    });

  dlq
    .command('redrive')
    .description('Move dead letters back to the source queue (same body and group) once the cause is fixed.')
    .addOption(queueOption())
    .option(
      '--source-queue-url <url>',
      'queue to send them to (default: the queue that redrives to this DLQ)',
    )
    .option('--all', 'every dead letter')
    .option('--id <message-id...>', 'only these message ids')
    .option('--json', 'print JSON')
    .action(
      async (
        flags: QueueFlags & { sourceQueueUrl?: string; all?: boolean; id?: string[] },
        command: Command,
      ) => {
        if (Boolean(flags.all) === Boolean(flags.id)) {
          command.error('error: pass exactly one of --all or --id <message-id...>', { exitCode: EXIT.usage });
        }
        const deadLetterQueueUrl = queueUrlOf(command, flags);
        const sqs = new SQSClient({});
        try {
          let sourceQueueUrl = flags.sourceQueueUrl;
          if (!sourceQueueUrl) {
            try {
              sourceQueueUrl = await resolveSourceQueueUrl({ sqs, deadLetterQueueUrl });
            } catch (error) {
              if (error instanceof SourceQueueUnknownError) {
                command.error(`error: ${error.message}`, { exitCode: EXIT.usage });
              }
              throw error;
            }
          }
          const result = await redriveDeadLetters({
            sqs,
            deadLetterQueueUrl,
            sourceQueueUrl,
            ...(flags.id ? { messageIds: flags.id } : {}),
            ...(flags.json
              ? {}
              : { onMoved: (moved) => print(`moved ${moved.messageId} -> ${moved.newMessageId}`) }),
          });
          if (flags.json) print(JSON.stringify({ sourceQueueUrl, ...result }));
          else print(`${result.moved.length} dead letter(s) sent back to ${sourceQueueUrl}.`);
          if (result.notFound.length > 0) {
            throw new Error(
              `not redriven, not found (already moved, or behind a FIFO group lock): ${result.notFound.join(', ')}`,
            );
          }
        } finally {
          sqs.destroy();
        }
      },
    );

  dlq
    .command('purge')
    .description('Delete every dead letter. Asks first unless --yes.')
    .addOption(queueOption())
    .option('--yes', 'do not ask')
    .option('--json', 'print JSON')
    .action(async (flags: QueueFlags & { yes?: boolean }, command: Command) => {
      const deadLetterQueueUrl = queueUrlOf(command, flags);
      const sqs = new SQSClient({});
      try {
        if (!flags.yes) {
          if (!process.stdin.isTTY) {
            command.error('error: refusing to purge without --yes when stdin is not a terminal', {
              exitCode: EXIT.usage,
            });
          }
          const count = await countDeadLetters({ sqs, deadLetterQueueUrl });
          if (!(await confirm(`Delete all ${count} dead letter(s) in ${deadLetterQueueUrl}? [y/N] `))) {
            print('Nothing deleted.');
            return;
          }
        }
        const purged = await purgeDeadLetters({ sqs, deadLetterQueueUrl });
        print(flags.json ? JSON.stringify({ purged }) : `Purged about ${purged} dead letter(s).`);
      } finally {
        sqs.destroy();
      }
    });
}
