import { WebhookVerificationError } from '../../lambdas/ingest/errors.js';

/** Why `run` refused a webhook (`WebhookVerificationError.failure`); any other outcome fails the test. */
export function verificationFailureOf(run: () => void): string {
  try {
    run();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.failure;
    throw error;
  }
  throw new Error('expected WebhookVerificationError');
}
