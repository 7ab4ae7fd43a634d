/**
 * Errors the worker itself raises. Each says whether repeating the work later may help, so the
 * failure classifier does not have to guess from a message.
 */

/** Create said the email is taken, yet no user with that email could be found to adopt. Retried. */
export class AdoptionError extends Error {
  override readonly name = 'AdoptionError';
}

/**
 * Create said the email is taken, and the user with it is already linked to another employee (an
 * address reused while its former owner's user still exists, say, in a disable-then-delete grace
 * period). Adopting it would hand one person's phone user, number and voicemail to another, so
 * it is never retried: an operator decides.
 */
export class UserLinkedElsewhereError extends Error {
  override readonly name = 'UserLinkedElsewhereError';
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

/** A queue message whose `dataschema` (event version) this worker does not know. Never retried. */
export class UnsupportedEventVersionError extends Error {
  override readonly name = 'UnsupportedEventVersionError';
}
