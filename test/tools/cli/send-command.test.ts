import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../tools/cli/exit-codes.js';
import { parseEventsText, WEBHOOK_SECRET_ENV } from '../../../tools/cli/send-command.js';
import {
  drainQueue,
  hireEvent,
  type IngestFixture,
  newStandardSecret,
  startIngestFixture,
} from '../../support/ingest-fixture.js';
import { runCliProcess } from './cli-process.js';
import { runCli } from './run-cli.js';

const secret = newStandardSecret();
let fixture: IngestFixture;
let dir: string;
beforeAll(async () => {
  delete process.env[WEBHOOK_SECRET_ENV];
  fixture = await startIngestFixture({ standard: [secret] });
  dir = await mkdtemp(join(tmpdir(), 'send-command-'));
});
afterAll(() => fixture.close());

describe('parseEventsText', () => {
  it('reads one JSON event, a JSON array and JSON Lines', () => {
    expect(parseEventsText('{"a":1}')).toEqual([{ a: 1 }]);
    expect(parseEventsText('[{"a":1},{"a":2}]')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(parseEventsText('{"a":1}\n\n{"a":2}\n')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(() => parseEventsText('{"a":1}\nnope')).toThrow('line 2 is not JSON');
  });
});

describe('cpaas-lifecycle send', () => {
  const url = () => `${fixture.server.url}/webhooks/standard`;

  it('signs a JSON Lines file and posts it to a live ingest server, which queues every event', async () => {
    const events = [hireEvent('acme'), hireEvent('acme'), hireEvent('globex')];
    const file = join(dir, 'events.jsonl');
    await writeFile(file, events.map((event) => JSON.stringify(event)).join('\n'));

    const result = await runCli('send', file, '--url', url(), '--secret', secret);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toBe(
      `HTTP 202\n${JSON.stringify({ accepted: events.map((event) => event.id) })}\n`,
    );
    const queued = await drainQueue(fixture.sqs, fixture.queueUrl);
    expect(queued.map((message) => JSON.parse(message.body).id).sort()).toEqual(
      events.map((event) => event.id).sort(),
    );
  });

  it('prints the rejection and exits 1 when the endpoint refuses (wrong secret, invalid event)', async () => {
    const file = join(dir, 'one.json');
    await writeFile(file, JSON.stringify(hireEvent()));
    const unsigned = await runCli('send', file, '--url', url(), '--secret', newStandardSecret());
    expect(unsigned.code).toBe(EXIT.failed);
    expect(unsigned.stdout).toContain('HTTP 401');

    const invalid = join(dir, 'invalid.json');
    await writeFile(invalid, JSON.stringify({ ...hireEvent(), type: 'employee.promoted' }));
    const rejected = await runCli('send', invalid, '--url', url(), '--secret', secret);
    expect(rejected.code).toBe(EXIT.failed);
    expect(rejected.stdout).toContain('HTTP 422');
    expect(rejected.stdout).toContain('"path":"type"');
  });

  it('exits 2 without a secret or with unreadable input', async () => {
    const file = join(dir, 'garbage.txt');
    await writeFile(file, 'not json at all');
    expect((await runCli('send', file, '--url', url())).code).toBe(EXIT.usage);
    expect((await runCli('send', file, '--url', url(), '--secret', secret)).code).toBe(EXIT.usage);
  });

  it('reads standard input with "-" and the secret from the environment through the real binary', async () => {
    const event = hireEvent('acme', { employeeId: 'stdin-1' });
    const { code, stdout } = await runCliProcess(['send', '-', '--url', url()], {
      env: { ...process.env, [WEBHOOK_SECRET_ENV]: secret },
      stdin: JSON.stringify(event),
    });
    expect(code).toBe(0);
    expect(stdout).toContain(`HTTP 202\n{"accepted":["${event.id}"]}`);
    // The default route's events are the default tenant's, whatever tenant the body names.
    expect((await drainQueue(fixture.sqs, fixture.queueUrl)).map((message) => message.groupId)).toEqual([
      'default:stdin-1',
    ]);
  });
});
