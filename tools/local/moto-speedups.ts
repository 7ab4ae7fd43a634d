import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Python run at moto_server's start (as `sitecustomize`): two of moto's helpers replaced by
 * faster ones that return the same values, because in moto 5 they, not the emulated services,
 * were most of the server's CPU once a queue held some hundreds of messages:
 *
 * - `moto.core.utils.unix_time(_millis)()`, the current time, built from two datetimes and an
 *   import per call: SQS asks it per message for every message on the queue, several times per
 *   send, receive and attribute read. Here `time.time()`, the same clock; with an explicit
 *   datetime argument the original still answers.
 * - `moto.backends.list_of_moto_modules()`, which lists moto's package directory (some 180
 *   `isdir` calls) under the server's one dispatch lock on every request. Here that listing,
 *   taken once: the installed package does not change while the server runs.
 *
 * Each replacement is skipped when its moto helper does not exist (another moto version), so
 * moto_server always starts; it is only slower then.
 */
const SITECUSTOMIZE = `# Written by cpaas-lifecycle (tools/local/moto-speedups.ts): same values, less CPU.
import time as _time

try:
    import moto.core.utils as _utils

    _original_unix_time = _utils.unix_time

    def unix_time(dt=None):
        return _time.time() if dt is None else _original_unix_time(dt)

    def unix_time_millis(dt=None):
        return unix_time(dt) * 1000.0

    _utils.unix_time = unix_time
    _utils.unix_time_millis = unix_time_millis
except (ImportError, AttributeError):
    pass

try:
    import moto.backends as _backends

    _modules = tuple(_backends.list_of_moto_modules())
    _backends.list_of_moto_modules = lambda: _modules
except (ImportError, AttributeError):
    pass
`;

/**
 * A directory holding the speed-ups as `sitecustomize.py`, for moto_server's `PYTHONPATH`: Python
 * imports it at start whatever launches moto_server (a pip script, a pyenv shim, pipx). Named by
 * its content, so concurrent processes write the same file, and atomically.
 */
export function motoSpeedupsPath(): string {
  const hash = createHash('sha256').update(SITECUSTOMIZE).digest('hex').slice(0, 12);
  const folder = join(tmpdir(), `cpaas-lifecycle-moto-${hash}`);
  const file = join(folder, 'sitecustomize.py');
  if (!existsSync(file)) {
    mkdirSync(folder, { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, SITECUSTOMIZE);
    renameSync(partial, file);
  }
  return folder;
}
