import { afterEach, describe, expect, it } from 'vitest';
import {
  handleFakeControl,
  replyJson,
  type ServedFake,
  serveFake,
} from '../../../tools/fakes/fake-control.js';
import { FaultTable } from '../../../tools/sandbox/faults.js';

let served: ServedFake | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

describe('serveFake', () => {
  it('answers 500 when the fake fails on a request, and serves the next one', async () => {
    served = await serveFake(async (req, res) => {
      if (req.url === '/boom') throw new Error('a bug in the fake');
      replyJson(res, 200, { path: req.url });
    });

    const failed = await fetch(`${served.url}/boom`);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: 'fake failed' });
    const next = await fetch(`${served.url}/v1/people`);
    expect(await next.json()).toEqual({ path: '/v1/people' });
  });

  it('serves the shared control routes under its controlUrl', async () => {
    const state = {
      employees: new Map<string, unknown>(),
      faults: new FaultTable<'get'>(Math.random),
      requests: new Map(),
    };
    served = await serveFake(async (req, res) => {
      const { pathname } = new URL(req.url ?? '/', 'http://fake');
      if (!(await handleFakeControl(req, res, pathname, state))) replyJson(res, 404, { error: 'api' });
    });

    expect(served.controlUrl).toBe(`${served.url}/_fake`);
    const put = await fetch(`${served.controlUrl}/employees/E%201`, {
      method: 'PUT',
      body: JSON.stringify({ firstName: 'Ada' }),
    });
    expect(put.status).toBe(200);
    expect(state.employees.get('E 1')).toEqual({ firstName: 'Ada' });
    expect((await fetch(`${served.url}/employees/E%201`)).status).toBe(404);
  });
});
