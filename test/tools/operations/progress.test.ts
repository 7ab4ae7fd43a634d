import { describe, expect, it } from 'vitest';
import { createProgress } from '../../../tools/operations/progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = {
    isTTY,
    write: (text: string) => {
      writes.push(text);
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

describe('createProgress', () => {
  it('stays silent when the stream is not a terminal (pipes, CI, --json)', () => {
    const { stream, writes } = fakeStream(false);
    const progress = createProgress('users', stream, { minIntervalMs: 0 });
    progress.update(5, 10);
    progress.finish();
    expect(writes).toEqual([]);
  });

  it('redraws one line with a bar on a terminal and ends it', () => {
    const { stream, writes } = fakeStream(true);
    const progress = createProgress('events', stream, { minIntervalMs: 0 });
    progress.update(5, 10);
    progress.update(10, 10);
    progress.finish();
    expect(writes[0]).toBe(`\revents [${'#'.repeat(15)}${'.'.repeat(15)}] 5/10\u001b[K`);
    expect(writes[1]).toContain('10/10');
    expect(writes.at(-1)).toBe('\n');
  });

  it('counts when the total is unknown', () => {
    const { stream, writes } = fakeStream(true);
    createProgress('fetched', stream, { minIntervalMs: 0 }).update(120);
    expect(writes[0]).toBe('\rfetched 120\u001b[K');
  });
});
