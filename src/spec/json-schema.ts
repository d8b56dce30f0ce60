/**
 * JSON Schemas in specs (`input`, `outputSchema`), compiled to zod with `z.fromJSONSchema`.
 * @module
 */
import { z } from 'zod';
import { BatonError } from '../core/errors.js';
import type { PathSegment } from './issues.js';
import { isRecord } from './issues.js';

/** A JSON Schema document: an object, or `true`/`false`. */
export type JsonSchema = boolean | { [keyword: string]: unknown };

type FromJsonSchemaInput = Parameters<typeof z.fromJSONSchema>[0];

/** A problem in a JSON Schema, with the path inside the schema where it was found. */
export interface JsonSchemaProblem {
  path: PathSegment[];
  message: string;
}

/**
 * Compiles a JSON Schema to a zod schema.
 * @throws BatonError `INVALID_SPEC` when the schema cannot be compiled (validation normally catches it first).
 */
export function compileJsonSchema(schema: JsonSchema, path: string): z.ZodType {
  try {
    return z.fromJSONSchema(schema as FromJsonSchemaInput);
  } catch (err) {
    throw new BatonError('INVALID_SPEC', `JSON Schema at ${path} is invalid: ${errorMessage(err)}`, {
      details: { path },
      cause: err,
    });
  }
}

/** Checks that `value` is a JSON Schema that compiles, locating the failing sub-schema when it does not. */
export function jsonSchemaProblems(value: unknown): JsonSchemaProblem[] {
  if (typeof value !== 'boolean' && !isRecord(value)) {
    return [{ path: [], message: 'a JSON Schema must be an object (or true/false)' }];
  }
  const notJson = findNonJson(value, []);
  if (notJson) return [{ path: notJson, message: 'a JSON Schema must contain only JSON values' }];
  const message = compileError(value);
  if (message === undefined) return [];
  return [{ path: locate(value, message, []), message: `invalid JSON Schema: ${message}` }];
}

function compileError(schema: unknown): string | undefined {
  try {
    z.fromJSONSchema(schema as FromJsonSchemaInput);
    return undefined;
  } catch (err) {
    return errorMessage(err);
  }
}

/**
 * zod reports what is wrong but not where. Descend into the sub-schemas that fail on their own with the
 * same message; the deepest one is where the author should look. Sub-schemas with `$ref`s to the root
 * fail differently on their own and are therefore not blamed.
 */
function locate(schema: unknown, message: string, path: PathSegment[]): PathSegment[] {
  for (const [segments, child] of subSchemas(schema)) {
    if (compileError(child) === message) return locate(child, message, [...path, ...segments]);
  }
  return path;
}

const SCHEMA_KEYWORDS = [
  'additionalProperties',
  'items',
  'contains',
  'not',
  'if',
  'then',
  'else',
  'propertyNames',
];
const SCHEMA_LIST_KEYWORDS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];

function subSchemas(schema: unknown): Array<[PathSegment[], unknown]> {
  if (!isRecord(schema)) return [];
  const out: Array<[PathSegment[], unknown]> = [];
  for (const key of SCHEMA_KEYWORDS) {
    const child = schema[key];
    if (isRecord(child)) out.push([[key], child]);
  }
  for (const key of SCHEMA_LIST_KEYWORDS) {
    const list = schema[key];
    if (Array.isArray(list)) for (const [i, child] of list.entries()) out.push([[key, i], child]);
  }
  if (Array.isArray(schema.items))
    for (const [i, child] of schema.items.entries()) out.push([['items', i], child]);
  for (const key of SCHEMA_MAP_KEYWORDS) {
    const map = schema[key];
    if (isRecord(map)) for (const [name, child] of Object.entries(map)) out.push([[key, name], child]);
  }
  return out;
}

function findNonJson(value: unknown, path: PathSegment[]): PathSegment[] | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findNonJson(item, [...path, i]);
      if (found) return found;
    }
    return undefined;
  }
  const proto: unknown = isRecord(value) ? Object.getPrototypeOf(value) : undefined;
  if (isRecord(value) && (proto === Object.prototype || proto === null)) {
    for (const [key, item] of Object.entries(value)) {
      const found = findNonJson(item, [...path, key]);
      if (found) return found;
    }
    return undefined;
  }
  return path;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
