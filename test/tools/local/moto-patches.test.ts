import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { motoPatchesPath } from '../../../tools/local/moto-patches.js';

/** Runs `script` in the Python that moto_server uses, with or without the patches on its path. */
function python(script: string, patched: boolean): string {
  return execFileSync('python3', ['-c', script], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: patched ? motoPatchesPath() : '' },
  }).trim();
}

/**
 * Sixteen threads racing one conditional put each, as moto_server's threads do with concurrent
 * requests; the backend's check is slowed so that a race, if the writes were not serialized,
 * is all but certain. Prints how many puts passed the condition.
 */
const RACE = `
import json, threading, time
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.dynamodb.exceptions import ConditionalCheckFailed
backend = DynamoDBBackend("us-east-1", "123456789012")
backend.create_table("t", schema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    throughput=None, attr=[{"AttributeName": "pk", "AttributeType": "S"}],
    global_indexes=None, indexes=None, streams=None, billing_mode="PAY_PER_REQUEST",
    sse_specification=None, tags=[], deletion_protection_enabled=False, warm_throughput=None)
original_get = Table.get_item
def slow_get(self, *args, **kwargs):
    item = original_get(self, *args, **kwargs)
    time.sleep(0.01)
    return item
Table.get_item = slow_get
passed = []
start = threading.Barrier(16)
def put(n):
    start.wait()
    try:
        backend.put_item("t", {"pk": {"S": "brake"}, "n": {"N": str(n)}},
            condition_expression="attribute_not_exists(pk)")
        passed.append(n)
    except ConditionalCheckFailed:
        pass
threads = [threading.Thread(target=put, args=(n,)) for n in range(16)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print(json.dumps({"passed": len(passed), "atomic": getattr(DynamoDBBackend.put_item, "cpaas_atomic", False)}))
`;

/**
 * Eight threads long-polling one FIFO queue at once, as the local mode's pollers of one lane do,
 * for five messages of one group: one receiver gets the group, in order, and the others none while
 * it is in flight. Prints what each receiver got.
 */
const FIFO_RACE = `
import json, threading
from moto.sqs.models import SQSBackend
backend = SQSBackend("us-east-1", "123456789012")
backend.create_queue("q.fifo", FifoQueue="true", ContentBasedDeduplication="true")
for n in range(5):
    backend.send_message("q.fifo", f"m{n}", group_id="one-employee")
got = []
start = threading.Barrier(8)
def receive():
    start.wait()
    messages = backend.receive_message("q.fifo", 10, 1, 30)
    if messages:
        got.append([message.body for message in messages])
threads = [threading.Thread(target=receive) for _ in range(8)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print(json.dumps({"got": got, "serialized": getattr(SQSBackend.receive_message, "cpaas_serialized", False)}))
`;

const PROBE = `
import datetime, json, logging, time
import moto.core.utils as utils, moto.backends as backends, moto.sqs.models as sqs
import moto.core.responses as responses
from werkzeug._internal import _log as werkzeug_log
from moto.dynamodb.responses import DynamoHandler
before = time.time()
now = utils.unix_time()
after = time.time()
print(json.dumps({
    "replaced": utils.unix_time.__module__ == "sitecustomize",
    "sqsUsesIt": sqs.unix_time_millis is utils.unix_time_millis,
    "nowIsTheClock": before <= now <= after,
    "millis": abs(utils.unix_time_millis() - time.time() * 1000) < 1000,
    "explicit": utils.unix_time(datetime.datetime(1970, 1, 2, 0, 0, 1)),
    "modules": sorted(backends.list_of_moto_modules()),
    "methods": responses.method_names_from_class(DynamoHandler),
    "methodsAgain": responses.method_names_from_class(DynamoHandler),
    "methodsRemembered": hasattr(responses.method_names_from_class, "cache_info"),
    "accessLog": (werkzeug_log("info", "a request line"), logging.getLogger("werkzeug").isEnabledFor(logging.INFO))[1],
}))
`;

describe('moto patches', () => {
  it("give moto DynamoDB's atomic conditional writes: one of sixteen racing puts passes", () => {
    expect(JSON.parse(python(RACE, true))).toEqual({ passed: 1, atomic: true });
    expect(JSON.parse(python(RACE, false)).atomic).toBe(false);
  });

  it('serialize SQS: concurrent long polls of one FIFO group hand it to one receiver, in order', () => {
    expect(JSON.parse(python(FIFO_RACE, true))).toEqual({
      got: [['m0', 'm1', 'm2', 'm3', 'm4']],
      serialized: true,
    });
    expect(JSON.parse(python(FIFO_RACE, false)).serialized).toBe(false);
  });

  it("replace moto's clock, module listing and method listing with ones that answer the same, without the access log", () => {
    const fast = JSON.parse(python(PROBE, true));
    const plain = JSON.parse(python(PROBE, false));
    expect(fast).toMatchObject({ replaced: true, sqsUsesIt: true, nowIsTheClock: true, millis: true });
    expect(plain.replaced).toBe(false);
    expect(fast.explicit).toBe(86_401);
    expect(fast.explicit).toBe(plain.explicit);
    expect(fast.modules).toEqual(plain.modules);
    expect(fast.modules).toContain('sqs');
    expect(fast.methodsRemembered).toBe(true);
    expect(plain.methodsRemembered).toBe(false);
    expect(fast.methods).toEqual(plain.methods);
    expect(fast.methodsAgain).toEqual(plain.methods);
    expect(fast.methods).toContain('get_item');
    expect([fast.accessLog, plain.accessLog]).toEqual([false, true]);
  });

  it('is written once, under a name that follows its content', () => {
    expect(motoPatchesPath()).toBe(motoPatchesPath());
    expect(motoPatchesPath()).toMatch(/cpaas-lifecycle-moto-[0-9a-f]{12}$/);
  });
});
