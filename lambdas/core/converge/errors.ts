import { LifecycleError } from '../../contract/errors.js';

/**
 * Errors converging raises itself. Each says whether repeating the work later may help, so the
 * failure classifier does not have to guess from a message.
 */
export abstract class ConvergeError extends LifecycleError {}

/** Create said the email is taken, yet no user with that email could be found to adopt. Retried. */
export class AdoptionError extends ConvergeError {
  override readonly name = 'AdoptionError';
  readonly permanent = false;
}

/**
 * Create said the email is taken, and the user with it is already linked to another employee (an
 * address reused while its former owner's user still exists, say, in a disable-then-delete grace
 * period). Adopting it would hand one person's phone user, number and voicemail to another, so
 * it is never retried: an operator decides.
 */
export class UserLinkedElsewhereError extends ConvergeError {
  override readonly name = 'UserLinkedElsewhereError';
  readonly permanent = true;
  constructor(
    readonly cpaasUserId: string,
    readonly linkedTo: string | undefined,
  ) {
    super(
      `CPaaS user ${cpaasUserId} is already linked to employee ${linkedTo ?? '(unknown)'}; ` +
        'resolve by hand (delete or rename that user, or fix the email in the HRIS), then redrive',
    );
  }
}
