import { randomBytes } from 'node:crypto';
import {
  InvalidLifecycleEventError,
  LIFECYCLE_DATA_SCHEMA,
  type LifecycleEvent,
  validateLifecycleEvent,
} from '../../core/events/lifecycle-event.js';
import type { FieldIssue } from '../../core/validation/field-issues.js';
import { VERIFICATION_FAILURES as F, WebhookVerificationError } from '../errors.js';
import { hmacSha256, macMatches } from './hmac.js';
import type { SourceAdapter, WebhookHeaders } from './source-adapter.js';

/**
 * Standard Webhooks (standardwebhooks.com) verification and signing, on node:crypto.
 *
 * Not the `standardwebhooks` npm package, although it compares in constant time: its `verify`
 * reads the clock itself (the spec's test vectors need an injected one), takes one secret per
 * instance, decodes the body to a string before signing (not the raw bytes) and JSON-parses it,
 * which would turn a correctly signed non-JSON body into a verification failure instead of a 400.
 */

/** Seconds a `webhook-timestamp` may be behind or ahead of our clock (the spec's 5 minutes). */
export const STANDARD_WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

const SECRET_PREFIX = 'whsec_';
const SIGNATURE_VERSION = 'v1';
const SIGNATURE_BYTES = 32;

/** The signing key inside a `whsec_<base64>` secret (the prefix is optional, as in the spec's libraries). */
export function decodeStandardWebhookSecret(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  // Refuse rather than sign with an empty or mangled key, which anybody could reproduce.
  if (key.length === 0 || key.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
    throw new TypeError('webhook secret must be whsec_ followed by base64');
  }
  return key;
}

/**
 * A fresh secret, `whsec_` + base64 of 24 random bytes (the spec's minimum and its libraries'
 * default): the receiver issues Standard Webhooks secrets and gives them to the sender.
 */
export function generateStandardWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(24).toString('base64')}`;
}

function signatureOf(key: Buffer, msgId: string, timestamp: string, body: Buffer | string): Buffer {
  return hmacSha256(key, `${msgId}.${timestamp}.`, body);
}

export interface StandardWebhookMessage {
  /** `whsec_...` */
  secret: string;
  /** Stable across retries of the same message. */
  msgId: string;
  /** Unix seconds of this delivery attempt. */
  timestamp: number;
  /** The exact bytes that will be sent. */
  body: Buffer | string;
}

/**
 * The three headers a sender adds to a Standard Webhooks request. Exported so the `send` CLI,
 * the local mode and the tests produce requests exactly as a real sender would.
 */
export function signStandardWebhook(message: StandardWebhookMessage): {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
} {
  const timestamp = String(Math.floor(message.timestamp));
  const mac = signatureOf(
    decodeStandardWebhookSecret(message.secret),
    message.msgId,
    timestamp,
    message.body,
  );
  return {
    'webhook-id': message.msgId,
    'webhook-timestamp': timestamp,
    'webhook-signature': `${SIGNATURE_VERSION},${mac.toString('base64')}`,
  };
}

function receivedSignatures(header: string): Buffer[] {
  const signatures: Buffer[] = [];
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== SIGNATURE_VERSION) continue;
    const mac = Buffer.from(entry.slice(comma + 1), 'base64');
    if (mac.length === SIGNATURE_BYTES) signatures.push(mac);
  }
  return signatures;
}

/**
 * Accepts the request when the timestamp is within tolerance and any `v1` signature matches any
 * current secret (several during rotation); throws `WebhookVerificationError` otherwise. The
 * reasons never include the secret or the expected signature.
 */
export function verifyStandardWebhook(
  rawBody: Buffer,
  headers: WebhookHeaders,
  secrets: readonly string[],
  now: Date,
): void {
  const msgId = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatureHeader = headers['webhook-signature'];
  if (!msgId || !timestamp || !signatureHeader) {
    throw new WebhookVerificationError(
      F.missingHeader,
      'missing webhook-id, webhook-timestamp or webhook-signature header',
    );
  }
  if (!/^[0-9]{1,15}$/.test(timestamp))
    throw new WebhookVerificationError(F.malformedHeader, 'webhook-timestamp is not unix seconds');
  const skew = Number(timestamp) - Math.floor(now.getTime() / 1000);
  if (skew < -STANDARD_WEBHOOK_TOLERANCE_SECONDS)
    throw new WebhookVerificationError(F.timestampOutsideTolerance, 'webhook-timestamp is too old');
  if (skew > STANDARD_WEBHOOK_TOLERANCE_SECONDS)
    throw new WebhookVerificationError(F.timestampOutsideTolerance, 'webhook-timestamp is in the future');

  const received = receivedSignatures(signatureHeader);
  // Every pair is compared (no early exit) so timing does not reveal which secret or signature matched.
  let matched = false;
  for (const secret of secrets) {
    const expected = signatureOf(decodeStandardWebhookSecret(secret), msgId, timestamp, rawBody);
    for (const mac of received) matched = macMatches(mac, expected) || matched;
  }
  if (!matched)
    throw new WebhookVerificationError(F.noValidSignature, 'no webhook-signature matches a current secret');
}

/**
 * CloudEvents makes `dataschema` optional, so a producer may leave it out: absent means the one
 * version this project has (v1), filled in before validation so every queued event names its
 * version. A different value is still validated, and refused with the reason.
 */
function withDefaultDataSchema(item: unknown): unknown {
  if (typeof item !== 'object' || item === null || Array.isArray(item) || 'dataschema' in item) return item;
  return { ...item, dataschema: LIFECYCLE_DATA_SCHEMA };
}

/** Validates one canonical event or an array of them; issue paths are prefixed with the index. */
function toCanonicalEvents(body: unknown): LifecycleEvent[] {
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) {
    throw new InvalidLifecycleEventError('no events', [
      { path: '(root)', message: 'must hold at least one event' },
    ]);
  }
  const events: LifecycleEvent[] = [];
  const issues: FieldIssue[] = [];
  items.forEach((item, index) => {
    try {
      events.push(validateLifecycleEvent(withDefaultDataSchema(item)));
    } catch (error) {
      if (!(error instanceof InvalidLifecycleEventError)) throw error;
      for (const issue of error.issues) {
        issues.push(Array.isArray(body) ? { ...issue, path: `${index}.${issue.path}` } : issue);
      }
    }
  });
  if (issues.length > 0) throw new InvalidLifecycleEventError(`${issues.length} invalid field(s)`, issues);
  return events;
}

/**
 * `POST /webhooks/standard`: canonical lifecycle events, one or an array, signed per Standard
 * Webhooks. Each event's own `id` is the dedup id; its `tenant` is the route's (a body's is overwritten).
 */
export const standardWebhooksSource: SourceAdapter<LifecycleEvent> = {
  name: 'standard',
  verify: verifyStandardWebhook,
  toEvents: toCanonicalEvents,
  newSecret: generateStandardWebhookSecret,
};
