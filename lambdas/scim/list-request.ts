import { type AttributeSelection, attributeList } from './attribute-selection.js';
import { MAX_RESULTS } from './discovery.js';
import { ScimBadRequestError } from './errors.js';
import { parseUserFilter, type UserFilter } from './filter.js';
import { SCIM_URNS } from './schema-urns.js';

/** A list or search request (RFC 7644 sections 3.4.2 and 3.4.3), from a query or a SearchRequest body. */
export interface ListRequest {
  readonly filter?: UserFilter;
  /** 1-based; below 1 is read as 1. */
  readonly startIndex: number;
  /** At most `MAX_RESULTS`; below 0 is read as 0. */
  readonly count: number;
  readonly selection: AttributeSelection;
}

function integer(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(number)) throw new ScimBadRequestError('invalidValue', `${name} must be an integer`);
  return number;
}

function text(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(',');
  throw new ScimBadRequestError('invalidValue', `${name} must be a string`);
}

/** Reads the parameters of a GET query or the members of a SearchRequest body alike. */
export function listRequest(parameters: Readonly<Record<string, unknown>>): ListRequest {
  const filterText = text(parameters.filter, 'filter');
  const attributes = attributeList(text(parameters.attributes, 'attributes'));
  const excludedAttributes = attributeList(text(parameters.excludedAttributes, 'excludedAttributes'));
  return {
    ...(filterText === undefined ? {} : { filter: parseUserFilter(filterText) }),
    startIndex: Math.max(1, integer(parameters.startIndex, 'startIndex') ?? 1),
    count: Math.min(MAX_RESULTS, Math.max(0, integer(parameters.count, 'count') ?? MAX_RESULTS)),
    selection: {
      ...(attributes === undefined ? {} : { attributes }),
      ...(excludedAttributes === undefined ? {} : { excludedAttributes }),
    },
  };
}

/** A `POST /Users/.search` body: a SearchRequest message. */
export function searchRequest(body: unknown): ListRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ScimBadRequestError('invalidSyntax', 'a SearchRequest must be a JSON object');
  }
  const schemas = (body as Record<string, unknown>).schemas;
  if (!Array.isArray(schemas) || !schemas.includes(SCIM_URNS.searchRequest)) {
    throw new ScimBadRequestError('invalidSyntax', `schemas must include ${SCIM_URNS.searchRequest}`);
  }
  return listRequest(body as Record<string, unknown>);
}
