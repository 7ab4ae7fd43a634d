/** A progress indicator that draws only on a terminal, so pipes, CI logs and `--json` stay clean. */
export interface Progress {
  update(done: number, total?: number): void;
  finish(): void;
}

const WIDTH = 30;

/**
 * A one-line bar (known total) or counter (unknown total) redrawn in place on `stream`. Written
 * here rather than taken from a library: 20 lines, no dependency, and silent when `stream` is
 * not a TTY.
 */
export function createProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  options: { minIntervalMs?: number } = {},
): Progress {
  if (!stream.isTTY) return { update() {}, finish() {} };
  const minIntervalMs = options.minIntervalMs ?? 100;
  let drawnAt = 0;
  let drawn = false;
  const draw = (done: number, total?: number) => {
    let text = `${label} ${done}`;
    if (total !== undefined && total > 0) {
      const filled = Math.round((Math.min(done, total) / total) * WIDTH);
      text = `${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${total}`;
    }
    stream.write(`\r${text}\u001b[K`);
    drawn = true;
  };
  return {
    update(done, total) {
      const now = Date.now();
      if (now - drawnAt < minIntervalMs && done !== total) return;
      drawnAt = now;
      draw(done, total);
    },
    finish() {
      if (drawn) stream.write('\n');
    },
  };
}
