import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../../../tools/cli/exit-codes.js';
import { main } from '../../../tools/cli/main.js';
import { parseEventsText, WEBHOOK_SECRET_ENV } from '../../../tools/cli/send-command.js';
import {
  drainQueue,
  hireEvent,
  type IngestFixture,
  newStandardSecret,
  startIngestFixture,
} from '../../support/ingest-fixture.js';

const secret = newStandardSecret();
let fixture: IngestFixture;
let dir: string;
beforeAll(async () => {
  delete process.env[WEBHOOK_SECRET_ENV];
  fixture = await startIngestFixture({ standard: [secret] });
  dir = await mkdtemp(join(tmpdir(), 'send-command-'));
});
afterAll(() => fixture.close());

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  try {
    const code = await main(['node', 'cpaas-lifecycle', ...args]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

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

    const result = await runCli(['send', file, '--url', url(), '--secret', secret]);
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
    const unsigned = await runCli(['send', file, '--url', url(), '--secret', newStandardSecret()]);
    expect(unsigned.code).toBe(EXIT.failed);
    expect(unsigned.stdout).toContain('HTTP 401');

    const invalid = join(dir, 'invalid.json');
    await writeFile(invalid, JSON.stringify({ ...hireEvent(), type: 'employee.promoted' }));
    const rejected = await runCli(['send', invalid, '--url', url(), '--secret', secret]);
    expect(rejected.code).toBe(EXIT.failed);
    expect(rejected.stdout).toContain('HTTP 422');
    expect(rejected.stdout).toContain('"path":"type"');
  });

  it('exits 2 without a secret or with unreadable input', async () => {
    const file = join(dir, 'garbage.txt');
    await writeFile(file, 'not json at all');
    expect((await runCli(['send', file, '--url', url()])).code).toBe(EXIT.usage);
    expect((await runCli(['send', file, '--url', url(), '--secret', secret])).code).toBe(EXIT.usage);
  });

  it('reads standard input with "-" and the secret from the environment through the real binary', async () => {
    const event = hireEvent('acme', { employeeId: 'stdin-1' });
    const child = spawn(process.execPath, ['tools/cli/bin.js', 'send', '-', '--url', url()], {
      env: { ...process.env, [WEBHOOK_SECRET_ENV]: secret },
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stdin.end(JSON.stringify(event));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stdout).toContain(`HTTP 202\n{"accepted":["${event.id}"]}`);
    expect((await drainQueue(fixture.sqs, fixture.queueUrl)).map((message) => message.groupId)).toEqual([
      'acme:stdin-1',
    ]);
  });
});
