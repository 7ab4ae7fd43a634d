/** Exit codes: 0 success, 1 the operation failed (API or AWS error), 2 the command line was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
