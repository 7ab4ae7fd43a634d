import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { motoSpeedupsPath } from '../../../tools/local/moto-speedups.js';

/** Runs `script` in the Python that moto_server uses, with or without the speed-ups on its path. */
function python(script: string, speedups: boolean): string {
  return execFileSync('python3', ['-c', script], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: speedups ? motoSpeedupsPath() : '' },
  }).trim();
}

const PROBE = `
import datetime, json, time
import moto.core.utils as utils, moto.backends as backends, moto.sqs.models as sqs
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
}))
`;

describe('moto speed-ups', () => {
  it("replace moto's clock and module listing with ones that answer the same", () => {
    const fast = JSON.parse(python(PROBE, true));
    const plain = JSON.parse(python(PROBE, false));
    expect(fast).toMatchObject({ replaced: true, sqsUsesIt: true, nowIsTheClock: true, millis: true });
    expect(plain.replaced).toBe(false);
    expect(fast.explicit).toBe(86_401);
    expect(fast.explicit).toBe(plain.explicit);
    expect(fast.modules).toEqual(plain.modules);
    expect(fast.modules).toContain('sqs');
  });

  it('is written once, under a name that follows its content', () => {
    expect(motoSpeedupsPath()).toBe(motoSpeedupsPath());
    expect(motoSpeedupsPath()).toMatch(/cpaas-lifecycle-moto-[0-9a-f]{12}$/);
  });
});
