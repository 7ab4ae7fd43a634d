import type { SourceName } from '../../contract/settings.js';
import type { QueuedEvent } from '../../core/events/details-pending-event.js';

/** Request headers with lower-case names, as API Gateway payload 2.0 delivers them. */
export type WebhookHeaders = Readonly<Record<string, string | undefined>>;

/** What a provider's set-up request carries (see `SourceAdapter.handshake`). */
export interface SourceHandshake {
  /** The provider's id of the registration (Gusto: the webhook subscription uuid); '' when it sends none. */
  readonly registrationId: string;
  /**
   * What the operator needs to finish the registration (Gusto's verification token), stored for
   * the operator's command; never logged, never answered. Absent for a probe that carries nothing
   * (HiBob's "Ping test"), which is only answered.
   */
  readonly secret?: string;
}

/**
 * One HRIS (or the project's own `standard` format) behind `POST /webhooks/{name}` (the default
 * tenant) and `POST /t/{tenant}/webhooks/{name}`. Adding a
 * provider is one file implementing this and its tests; the handler does the HTTP, size limit,
 * JSON parsing, the tenant and queueing for every source alike: an adapter never sets
 * an event's `tenant`, the route does.
 */
export interface SourceAdapter<Event extends QueuedEvent = QueuedEvent> {
  /** The `{source}` path segment and the key of its secrets in the webhook secrets JSON; named in the contract so the stack outputs its URL. */
  readonly name: SourceName;
  /**
   * Proves the raw bytes come from the provider, before anything parses them. Throws
   * `WebhookVerificationError` when they do not.
   *
   * @param secrets every secret currently valid for this source (several during rotation)
   * @param now the clock, injected so timestamp tolerance is testable with fixed vectors
   */
  verify(rawBody: Buffer, headers: WebhookHeaders, secrets: readonly string[], now: Date): void;
  /**
   * Recognises the provider's unsigned set-up request, which must be answered 2xx for the
   * registration in its UI to succeed: a probe that carries nothing (HiBob's "Ping test" when a
   * webhook is saved, possibly as plain text) or a verification token (Gusto's, posted when a
   * subscription is created, before it has a key to sign with). The handler answers it 200 after
   * the size check and before the content type and signature are checked, and stores a `secret`
   * for the operator's command. Undefined for anything else, which is then verified as usual. A
   * stranger can post one too, so it must match only bodies that say nothing else, and what it
   * returns may only ever wait for the operator, never change a secret by itself.
   */
  handshake?(rawBody: Buffer): SourceHandshake | undefined;
  /**
   * Maps the parsed JSON body to canonical events. Throws `InvalidLifecycleEventError` with every
   * wrong field (paths in the provider's own payload) when the body cannot be mapped. An empty
   * result means the body is valid but carries nothing this project acts on.
   *
   * @param headers the verified request's headers, for a provider whose delivery id or time is
   *   only there (BambooHR's global webhooks)
   */
  toEvents(body: unknown, now: Date, headers?: WebhookHeaders): Event[];
  /**
   * The provider's own account id in a body `toEvents` accepted, for a provider that posts every
   * account to one URL: on the shared `/webhooks/{name}` URL it picks the registered tenant that
   * account is mapped to (`tenants add --<name>-account-id`). Absent for a source whose sender
   * is configured per tenant with the tenant's own URL.
   */
  accountIdOf?(body: unknown): string | undefined;
  /**
   * A fresh signing secret in this source's format, for a source whose secret this deployment
   * issues and the sender is given (`tenants add` creates one per tenant). Absent when the
   * provider issues it (Merge's signature key), which the operator then hands over.
   */
  newSecret?(): string;
}
