import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Python run at moto_server's start (as `sitecustomize`). First, DynamoDB's write atomicity:
 * DynamoDB applies each conditional write to an item atomically, but moto_server (threaded)
 * checks a condition and writes without a lock, so two racing writes could both pass one
 * condition: two concurrent terminations both admitted by a deletion brake of limit 1, or two
 * workers both taking one lease. Here moto's DynamoDB writes (put, update, delete, batch and
 * transaction) take one lock, so each condition holds against the item it writes, as on AWS.
 *
 * Then two of moto's helpers replaced by faster ones that return the same values, because in
 * moto 5 they, not the emulated services, were most of the server's CPU once a queue held some
 * hundreds of messages:
 *
 * - `moto.core.utils.unix_time(_millis)()`, the current time, built from two datetimes and an
 *   import per call: SQS asks it per message for every message on the queue, several times per
 *   send, receive and attribute read. Here `time.time()`, the same clock; with an explicit
 *   datetime argument the original still answers.
 * - `moto.backends.list_of_moto_modules()`, which lists moto's package directory (some 180
 *   `isdir` calls) under the server's one dispatch lock on every request. Here that listing,
 *   taken once: the installed package does not change while the server runs.
 *
 * Each patch is skipped when what it replaces does not exist (another moto version), so
 * moto_server always starts; it is only slower (or, without the lock, racier) then.
 */
const SITECUSTOMIZE = `# Written by cpaas-lifecycle (tools/local/moto-patches.ts): DynamoDB's atomic writes; same values, less CPU.
import functools as _functools
import threading as _threading
import time as _time

try:
    from moto.dynamodb.models import DynamoDBBackend as _DynamoDBBackend

    _write_lock = _threading.RLock()

    def _atomic(write):
        @_functools.wraps(write)
        def atomic_write(*args, **kwargs):
            with _write_lock:
                return write(*args, **kwargs)

        atomic_write.cpaas_atomic = True
        return atomic_write

    for _name in ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items"):
        if hasattr(_DynamoDBBackend, _name):
            setattr(_DynamoDBBackend, _name, _atomic(getattr(_DynamoDBBackend, _name)))
except ImportError:
    pass

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
 * A directory holding the patches as `sitecustomize.py`, for moto_server's `PYTHONPATH`: Python
 * imports it at start whatever launches moto_server (a pip script, a pyenv shim, pipx). Named by
 * its content, so concurrent processes write the same file, and atomically.
 */
export function motoPatchesPath(): string {
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
