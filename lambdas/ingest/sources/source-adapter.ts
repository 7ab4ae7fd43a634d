import type { SourceName } from '../../contract/settings.js';
import type { QueuedEvent } from '../../core/events/details-pending-event.js';

/** Request headers with lower-case names, as API Gateway payload 2.0 delivers them. */
export type WebhookHeaders = Readonly<Record<string, string | undefined>>;

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
   * Maps the parsed JSON body to canonical events. Throws `InvalidLifecycleEventError` with every
   * wrong field (paths in the provider's own payload) when the body cannot be mapped. An empty
   * result means the body is valid but carries nothing this project acts on.
   *
   * @param headers the verified request's headers, for a provider whose delivery id or time is
   *   only there (BambooHR's global webhooks)
   */
  toEvents(body: unknown, now: Date, headers?: WebhookHeaders): Event[];
  /**
   * Whether the raw body is the provider's set-up probe (HiBob's "Ping test" when a webhook is
   * saved), which carries no event and must be answered 2xx for registration to succeed. It is
   * answered 200 before the content type and signature are checked (the provider may send it as
   * plain text, before the operator has stored its secret here), so it must match only bodies that
   * say nothing; anything else goes through `verify` as usual.
   */
  isHandshake?(rawBody: Buffer, headers: WebhookHeaders): boolean;
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
