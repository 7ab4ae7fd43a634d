import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DEFAULT_TENANT_ID } from '../../lambdas/contract/tenants.js';
import { GustoCredentialsSchema } from '../../lambdas/core/hris/gusto-tokens.js';
import type { HandshakeStore } from '../../lambdas/core/state/handshake-store.js';
import { WebhookSecretsSchema } from '../../lambdas/ingest/webhook-secrets.js';
import { OperationError } from './errors.js';

/** No verification token from Gusto is waiting for this subscription (none came, or it expired). */
export class NoPendingVerificationError extends OperationError {
  override readonly name = 'NoPendingVerificationError';
}

/** Gusto refused the verify call: the waiting token is not this subscription's (a forged POST), or the app may not verify. */
export class GustoVerificationRefusedError extends OperationError {
  override readonly name = 'GustoVerificationRefusedError';
}

/** The credentials or webhook secrets secret does not hold its JSON: nothing is sent to Gusto, nothing overwritten. */
export class MalformedSetupSecretError extends OperationError {
  override readonly name = 'MalformedSetupSecretError';
}

export interface GustoVerificationPorts {
  readonly handshakes: HandshakeStore;
  readonly secrets: SecretsManagerClient;
  /** The webhook secrets secret, whose `gusto` list gets the verified token. */
  readonly webhookSecretsSecretId: string;
  /** The Gusto credentials secret: its `clientId` and `clientSecret` get a system access token. */
  readonly credentialsSecretId: string;
  /** `https://api.gusto.com`, or the demo's. */
  readonly apiBaseUrl: string;
  /** Whose subscription: ingest stored its token under the tenant of the URL Gusto posted to (default: the deployment's own). */
  readonly tenantId?: string;
}

export interface VerifiedSubscription {
  readonly subscriptionUuid: string;
  /** How many Gusto tokens the webhook secrets now hold (more than one while a subscription is replaced). */
  readonly gustoSecrets: number;
}

async function secretJson(client: SecretsManagerClient, secretId: string): Promise<unknown> {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  try {
    return JSON.parse(SecretString ?? '');
  } catch {
    throw new MalformedSetupSecretError(`secret ${secretId} is not JSON`);
  }
}

async function callGusto(url: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', accept: 'application/json', ...init.headers },
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

/**
 * Finishes a Gusto webhook subscription: takes the verification token ingest stored when Gusto
 * posted it, confirms it with `PUT /v1/webhook_subscriptions/{uuid}/verify` (a system access token
 * from the app's client credentials), and only once Gusto accepts it adds it to the webhook
 * secrets' `gusto` list (it is the signing key) and drops the waiting item. A token a stranger
 * posted fails at Gusto and changes nothing. The token is never printed or returned.
 */
export async function verifyGustoSubscription(
  ports: GustoVerificationPorts,
  subscriptionUuid: string,
): Promise<VerifiedSubscription> {
  const tenantId = ports.tenantId ?? DEFAULT_TENANT_ID;
  const pending =
    (await ports.handshakes.find('gusto', tenantId, subscriptionUuid)) ??
    (await ports.handshakes.find('gusto', tenantId, ''));
  if (pending === undefined)
    throw new NoPendingVerificationError(
      `no verification token from Gusto is waiting for subscription ${subscriptionUuid} of tenant ${tenantId}: ask Gusto to send it again ` +
        `(GET /v1/webhook_subscriptions/${subscriptionUuid}/request_verification_token), then run this within the hour`,
    );
  const credentials = GustoCredentialsSchema.safeParse(
    await secretJson(ports.secrets, ports.credentialsSecretId),
  );
  if (!credentials.success)
    throw new MalformedSetupSecretError(
      `secret ${ports.credentialsSecretId} is not the Gusto credentials JSON`,
    );
  // Read before Gusto is told anything: a verified subscription whose token cannot be stored would
  // have its events refused.
  const current = WebhookSecretsSchema.safeParse(
    await secretJson(ports.secrets, ports.webhookSecretsSecretId),
  );
  if (!current.success)
    throw new MalformedSetupSecretError(
      `secret ${ports.webhookSecretsSecretId} is not the webhook secrets JSON`,
    );
  const base = ports.apiBaseUrl.replace(/\/+$/, '');
  const system = await callGusto(`${base}/oauth/token`, {
    method: 'POST',
    body: JSON.stringify({
      client_id: credentials.data.clientId,
      client_secret: credentials.data.clientSecret,
      grant_type: 'system_access',
    }),
  });
  const accessToken = (system.body as { access_token?: unknown } | undefined)?.access_token;
  if (system.status !== 200 || typeof accessToken !== 'string')
    throw new GustoVerificationRefusedError(
      `Gusto refused a system access token (${system.status}); nothing changed`,
    );
  const verified = await callGusto(
    `${base}/v1/webhook_subscriptions/${encodeURIComponent(subscriptionUuid)}/verify`,
    {
      method: 'PUT',
      headers: { authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ verification_token: pending.secret }),
    },
  );
  if (verified.status < 200 || verified.status >= 300)
    throw new GustoVerificationRefusedError(
      `Gusto refused the verification of subscription ${subscriptionUuid} (${verified.status}); nothing changed. ` +
        'Ask Gusto to send the token again and rerun.',
    );
  const gusto = [pending.secret, ...(current.data.gusto ?? []).filter((token) => token !== pending.secret)];
  await ports.secrets.send(
    new PutSecretValueCommand({
      SecretId: ports.webhookSecretsSecretId,
      SecretString: JSON.stringify({ ...current.data, gusto }),
    }),
  );
  await ports.handshakes.remove('gusto', tenantId, pending.registrationId);
  return { subscriptionUuid, gustoSecrets: gusto.length };
}
