/**
 * Runs `body` and resolves to the unhandled rejections the process reported meanwhile: for work
 * started beside an event (a schedule read, a key load) whose failure must never surface as one,
 * which on Lambda would end the invocation. Node reports a rejection once the microtasks have
 * run, so the collection ends a macrotask after `body`.
 */
export async function unhandledRejectionsDuring(body: () => Promise<void>): Promise<unknown[]> {
  const unhandled: unknown[] = [];
  const listener = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', listener);
  try {
    await body();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', listener);
  }
  return unhandled;
}
