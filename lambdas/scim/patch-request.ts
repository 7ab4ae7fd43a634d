import { ScimError as ScimPatchError, type ScimPatchOperation, scimPatch } from 'scim-patch';
import { ScimBadRequestError, type ScimType } from './errors.js';
import { isObject, type Json } from './json-members.js';
import { SCIM_URNS } from './schema-urns.js';

/**
 * RFC 7644 PATCH, applied by `scim-patch` (paths, value filters, no-path add/replace with dotted
 * and URN-prefixed keys, which is how Entra sends them). This file is the normalising front the
 * library needs in front of it: the request envelope checked, each `op` lower-cased (Entra sends
 * "Replace"), and writes to read-only attributes refused. What the patch produces is normalized
 * again like a PUT body (`normalizeUserAttributes`): Entra's "True"/"False" become booleans and
 * attributes this service provider does not keep (Okta's `password`) are dropped there.
 */

const OPS = new Set(['add', 'replace', 'remove']);
const CORE_PREFIX = `${SCIM_URNS.user.toLowerCase()}:`;

/** Attributes no PATCH may write (RFC 7643 `mutability: readOnly`), lower-case, by path head. */
const READ_ONLY = ['id', 'meta', 'schemas', `${SCIM_URNS.voipExtension.toLowerCase()}:provisioning`];

function readOnlyTarget(path: string): string | undefined {
  const lower = path.toLowerCase().replace(CORE_PREFIX, '');
  return READ_ONLY.find(
    (attribute) =>
      lower === attribute || lower.startsWith(`${attribute}.`) || lower.startsWith(`${attribute}[`),
  );
}

/** The operations of a PatchOp request body, checked and normalized. */
export function patchOperations(body: unknown): ScimPatchOperation[] {
  if (!isObject(body))
    throw new ScimBadRequestError('invalidSyntax', 'a PatchOp request must be a JSON object');
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.includes(SCIM_URNS.patchOp)) {
    throw new ScimBadRequestError('invalidSyntax', `schemas must include ${SCIM_URNS.patchOp}`);
  }
  const operations = body.Operations ?? body.operations;
  if (!Array.isArray(operations) || operations.length === 0) {
    throw new ScimBadRequestError('invalidSyntax', 'Operations must be a non-empty array');
  }
  return operations.map((operation, index) => {
    if (!isObject(operation) || typeof operation.op !== 'string') {
      throw new ScimBadRequestError('invalidSyntax', `Operations[${index}].op is required`);
    }
    const op = operation.op.toLowerCase();
    if (!OPS.has(op))
      throw new ScimBadRequestError(
        'invalidSyntax',
        `Operations[${index}].op must be add, replace or remove`,
      );
    const path = operation.path;
    if (path !== undefined && typeof path !== 'string') {
      throw new ScimBadRequestError('invalidPath', `Operations[${index}].path must be a string`);
    }
    const targets =
      path === undefined ? (isObject(operation.value) ? Object.keys(operation.value) : []) : [path];
    const readOnly = targets.map(readOnlyTarget).find((target) => target !== undefined);
    if (readOnly !== undefined) {
      throw new ScimBadRequestError('mutability', `Operations[${index}]: ${readOnly} is read-only`);
    }
    return { ...operation, op, ...(path === undefined ? {} : { path }) } as ScimPatchOperation;
  });
}

const PATCH_SCIM_TYPES: ReadonlySet<string> = new Set<ScimType>([
  'invalidPath',
  'invalidValue',
  'noTarget',
  'invalidSyntax',
]);

/**
 * The resource with the operations applied, on a copy. A replace of an attribute the user does
 * not have yet adds it (RFC 7644 3.5.2.3 and what Entra expects for a first phone number).
 */
export function applyPatch(resource: Json, operations: readonly ScimPatchOperation[]): Json {
  try {
    return scimPatch(resource as Json & { meta: never; schemas: string[] }, [...operations], {
      mutateDocument: false,
      treatMissingAsAdd: true,
    });
  } catch (error) {
    if (!(error instanceof ScimPatchError)) throw error;
    const scimType = PATCH_SCIM_TYPES.has(error.scimCode ?? '')
      ? (error.scimCode as ScimType)
      : 'invalidSyntax';
    throw new ScimBadRequestError(scimType, error.message);
  }
}
