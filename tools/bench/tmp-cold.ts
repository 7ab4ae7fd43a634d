import { measureColdStart } from './cold-start.js';

const figures = await measureColdStart(
  {
    worker: 'lambdas/worker/handler.ts',
    ingest: 'lambdas/ingest/handler.ts',
    scim: 'lambdas/scim/handler.ts',
  },
  20,
);
for (const f of figures)
  console.log(
    f.handler,
    f.bundleKb.toFixed(0),
    f.baselineKb.toFixed(0),
    (f.bundleKb / f.baselineKb).toFixed(2),
    f.initMs.toFixed(1),
    f.baselineInitMs.toFixed(1),
    (f.initMs / f.baselineInitMs).toFixed(2),
    JSON.stringify(f.largest),
  );
