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
 * SQS the same way: moto's queue state (messages, the FIFO groups in flight) is changed by every
 * request thread without a lock, so consumers polling one FIFO queue side by side (the stack's
 * mappings run up to five batches a lane) could lose track of a group and never hand it out
 * again. Here each SQS operation takes one lock, and a long poll waits outside it: it asks
 * without waiting, then waits for a message sent to the queue or 50 ms, where moto's own wait
 * spins at full CPU while a queue holds only messages of groups in flight.
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
 * - `method_names_from_class(cls)` as `moto.core.responses` calls it: `inspect.getmembers` of the
 *   service's whole response class on every request, to check the action is one of its methods
 *   (a third of a DynamoDB GetItem's time in the server, 2026-12-05). Here remembered per class:
 *   a class's methods do not change while the server runs.
 *
 * And werkzeug's access log (a line on stderr per request) is turned off: it cost the server and
 * the Node process reading its stderr some 4% a request, and it filled the stderr tail kept for a
 * failed start with request lines. Errors (werkzeug logs them at ERROR) still reach stderr.
 *
 * Each patch is skipped when what it replaces does not exist (another moto version), so
 * moto_server always starts; it is only slower (or, without the lock, racier) then.
 */
const SITECUSTOMIZE = `# Written by cpaas-lifecycle (tools/local/moto-patches.ts): DynamoDB's atomic writes, SQS under one lock; same values, less CPU; no access log.
import functools as _functools
import threading as _threading
import time as _time


def _lock_methods(backend, names, lock, marker):
    """Each named method of the backend class runs under the lock; \`marker\` is set on it for tests."""
    for name in names:
        if not hasattr(backend, name):
            continue
        method = getattr(backend, name)

        def locked(*args, _method=method, **kwargs):
            with lock:
                return _method(*args, **kwargs)

        _functools.update_wrapper(locked, method)
        setattr(locked, marker, True)
        setattr(backend, name, locked)


try:
    from moto.dynamodb.models import DynamoDBBackend as _DynamoDBBackend

    _lock_methods(
        _DynamoDBBackend,
        ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items"),
        _threading.RLock(),
        "cpaas_atomic",
    )
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

try:
    import moto.core.responses as _responses

    _responses.method_names_from_class = _functools.lru_cache(maxsize=None)(_responses.method_names_from_class)
except (ImportError, AttributeError):
    pass

import logging as _logging

_logging.getLogger("werkzeug").setLevel(_logging.WARNING)

# After the clock: moto.sqs.models binds moto's time helpers when it is imported.
try:
    from moto.sqs.models import SQSBackend as _SQSBackend

    _sqs_lock = _threading.RLock()
    _lock_methods(
        _SQSBackend,
        (
            "send_message", "send_message_batch", "delete_message", "delete_message_batch",
            "change_message_visibility", "change_message_visibility_batch", "purge_queue",
            "get_queue_attributes",
        ),
        _sqs_lock,
        "cpaas_serialized",
    )

    _original_receive = _SQSBackend.receive_message

    @_functools.wraps(_original_receive)
    def receive_message(self, queue_name, count, wait_seconds_timeout, visibility_timeout, message_attribute_names=None):
        deadline = _time.time() + (wait_seconds_timeout or 0)
        while True:
            with _sqs_lock:
                messages = _original_receive(self, queue_name, count, 0, visibility_timeout, message_attribute_names)
            if messages or _time.time() >= deadline:
                return messages
            queue = self.get_queue(queue_name)
            with queue._messages_lock:
                queue._messages_lock.wait(timeout=0.05)

    receive_message.cpaas_serialized = True
    _SQSBackend.receive_message = receive_message
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
