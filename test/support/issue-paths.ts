import { InvalidLifecycleEventError } from '../../lambdas/core/events/lifecycle-event.js';

/**
 * The field paths an `InvalidLifecycleEventError` from `run` names, sorted: what a sender is told
 * is wrong. None when `run` accepts its input; any other error is thrown on.
 */
export function issuePathsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidLifecycleEventError) return error.issues.map((issue) => issue.path).sort();
    throw error;
  }
  return [];
}
