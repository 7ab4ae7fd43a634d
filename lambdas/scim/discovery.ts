import { PROVISIONING_STATUSES } from '../core/state/provisioning-status.js';
import type { Json } from './json-members.js';
import { SCIM_URNS } from './schema-urns.js';

/**
 * The discovery documents of RFC 7644 section 4: what this service provider supports, its one
 * resource type (User, no Groups) and the schemas of what it keeps. An identity provider reads
 * them to know which requests to send, so they say exactly what the code does.
 */

/** Most users one list or filter answer holds (`filter.maxResults`); `count` above it is lowered. */
export const MAX_RESULTS = 200;

interface AttributeOptions {
  readonly description: string;
  readonly required?: boolean;
  readonly multiValued?: boolean;
  readonly caseExact?: boolean;
  readonly mutability?: 'readOnly' | 'readWrite' | 'immutable';
  readonly returned?: 'always' | 'default';
  readonly uniqueness?: 'none' | 'server';
  readonly subAttributes?: readonly Json[];
  readonly canonicalValues?: readonly string[];
}

function attribute(name: string, type: 'string' | 'boolean' | 'complex', options: AttributeOptions): Json {
  const { subAttributes, canonicalValues, ...rest } = options;
  return {
    name,
    type,
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...rest,
    ...(subAttributes === undefined ? {} : { subAttributes }),
    ...(canonicalValues === undefined ? {} : { canonicalValues }),
  };
}

const multiValuedEntry = (what: string) => [
  attribute('value', 'string', { description: `The ${what}.`, required: true }),
  attribute('type', 'string', { description: `"work" is the one provisioned.`, canonicalValues: ['work'] }),
  attribute('primary', 'boolean', { description: `The ${what} used when none is of type "work".` }),
];

const USER_ATTRIBUTES = [
  attribute('userName', 'string', {
    description: 'Unique per tenant, case-insensitive; the work email when no email is given.',
    required: true,
    uniqueness: 'server',
  }),
  attribute('externalId', 'string', {
    description: "The identity provider's id of the user.",
    caseExact: true,
  }),
  attribute('name', 'complex', {
    description: 'Given and family name are required to provision an active user.',
    subAttributes: [
      attribute('givenName', 'string', { description: 'First name on the VoIP user.' }),
      attribute('familyName', 'string', { description: 'Last name on the VoIP user.' }),
      attribute('formatted', 'string', { description: 'Kept, not provisioned.' }),
    ],
  }),
  attribute('displayName', 'string', { description: 'Kept, not provisioned.' }),
  attribute('active', 'boolean', {
    description:
      'false terminates the VoIP user (the deprovisioning policy decides how); true again rehires.',
  }),
  attribute('emails', 'complex', {
    description: 'The work (else primary) email is the VoIP user email.',
    multiValued: true,
    subAttributes: multiValuedEntry('email address'),
  }),
  attribute('phoneNumbers', 'complex', {
    description: 'The work (else primary) number, in E.164, is the external caller id.',
    multiValued: true,
    subAttributes: multiValuedEntry('phone number'),
  }),
  attribute('timezone', 'string', { description: 'IANA time zone of the VoIP user.', caseExact: true }),
];

const VOIP_ATTRIBUTES = [
  attribute('extension', 'string', { description: 'Internal extension, 2 to 10 digits.', caseExact: true }),
  attribute('provisioning', 'complex', {
    description: 'Where the latest change stands on its way to the VoIP platform.',
    mutability: 'readOnly',
    subAttributes: [
      attribute('status', 'string', {
        description:
          'pending: stored and queued, not yet applied (or held by the deletion brake); applied: the VoIP ' +
          'platform has the change; failed: the change could not be applied, see reason.',
        mutability: 'readOnly',
        canonicalValues: [...PROVISIONING_STATUSES],
      }),
      attribute('reason', 'string', {
        description: 'Why the change failed or waits, without personal data.',
        mutability: 'readOnly',
        caseExact: true,
      }),
      attribute('eventId', 'string', {
        description: 'The lifecycle event of the latest change, as the worker logs it.',
        mutability: 'readOnly',
        caseExact: true,
      }),
    ],
  }),
];

function schemaDocument(
  baseUrl: string,
  id: string,
  name: string,
  description: string,
  attributes: Json[],
): Json {
  return {
    schemas: [SCIM_URNS.schema],
    id,
    name,
    description,
    attributes,
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${id}` },
  };
}

export function schemaDocuments(baseUrl: string): Json[] {
  return [
    schemaDocument(
      baseUrl,
      SCIM_URNS.user,
      'User',
      'User Account, as far as this service provider keeps it',
      USER_ATTRIBUTES,
    ),
    schemaDocument(
      baseUrl,
      SCIM_URNS.voipExtension,
      'VoIP User',
      'The VoIP user of the employee',
      VOIP_ATTRIBUTES,
    ),
  ];
}

export function resourceTypeDocuments(baseUrl: string): Json[] {
  return [
    {
      schemas: [SCIM_URNS.resourceType],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'An employee with a VoIP user',
      schema: SCIM_URNS.user,
      schemaExtensions: [{ schema: SCIM_URNS.voipExtension, required: false }],
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
    },
  ];
}

export function serviceProviderConfig(baseUrl: string): Json {
  return {
    schemas: [SCIM_URNS.serviceProviderConfig],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'A long-lived bearer token from the SCIM tokens secret (RFC 6750 header)',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}
