import type * as z from './zod.js';

/** One wrong field, as a 422, a dead-letter reason or a contract error names it. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * zod's issues as dotted field paths (`data.workEmail`, `(root)` for the whole value), with an
 * optional prefix (an array index, a source's own field), so every producer names fields alike.
 */
export function fieldIssues(
  error: z.core.$ZodError,
  prefix: readonly (string | number)[] = [],
): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path].join('.') || '(root)',
    message: issue.message,
  }));
}
