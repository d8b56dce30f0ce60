/**
 * A deterministic JSON Schema instance generator, so the offline model can answer structured-output
 * requests with JSON that has the asked-for shape. It is not a validator: `pattern`, `multipleOf`,
 * `uniqueItems`, `not`, `if/then/else` and `patternProperties` are not honoured.
 * @module
 */

type Schema = Record<string, unknown>;

/** Past this depth arrays get only `minItems` items and objects only their required properties, so recursive `$ref`s end. */
const SHALLOW_DEPTH = 8;
/** Past this depth the generator gives up with `null` (a schema whose required properties recurse forever). */
const MAX_DEPTH = 32;

const FORMATS: Readonly<Record<string, (word: string) => string>> = {
  'date-time': () => '2024-01-01T00:00:00Z',
  date: () => '2024-01-01',
  time: () => '00:00:00Z',
  email: (word) => `${word}@example.com`,
  uri: (word) => `https://example.com/${word}`,
  url: (word) => `https://example.com/${word}`,
  uuid: () => '00000000-0000-4000-8000-000000000000',
  ipv4: () => '192.0.2.1',
  hostname: () => 'example.com',
};

/**
 * Generates a value for a JSON Schema, deterministically: `const`, then the first of `enum`, then
 * `default`, then the first of `examples`; otherwise by type: a string is a word derived from the
 * property name (or a sample of its `format`), a number its minimum or 0, a boolean `true`, an array
 * `minItems` items (at least one), an object all its properties. `anyOf`/`oneOf` take the first
 * non-null branch, `allOf` is merged, `$ref` resolves `#/$defs/...` and `#/definitions/...`.
 * @example
 * jsonFromSchema({ type: 'object', properties: { label: { enum: ['billing', 'tech'] } } }); // { label: 'billing' }
 */
export function jsonFromSchema(schema: unknown): unknown {
  return generate(schema, asSchema(schema) ?? {}, 'value', 0);
}

function generate(input: unknown, root: Schema, name: string, depth: number): unknown {
  const schema = asSchema(input);
  if (!schema || depth > MAX_DEPTH) return null;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (typeof schema.$ref === 'string') return generate(resolveRef(schema.$ref, root), root, name, depth + 1);
  const branches = (schema.anyOf ?? schema.oneOf) as unknown;
  if (Array.isArray(branches) && branches.length > 0) {
    const branch = branches.find((b) => asSchema(b)?.type !== 'null') ?? branches[0];
    return generate(branch, root, name, depth + 1);
  }
  if (Array.isArray(schema.allOf)) return generate(mergeAllOf(schema, root), root, name, depth + 1);

  switch (typeOf(schema)) {
    case 'string':
      return stringFor(schema, name);
    case 'integer':
      return integerFor(schema);
    case 'number':
      return numberFor(schema);
    case 'boolean':
      return true;
    case 'array':
      return arrayFor(schema, root, name, depth);
    case 'object':
      return objectFor(schema, root, depth);
    default:
      return null;
  }
}

function asSchema(value: unknown): Schema | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Schema) : undefined;
}

function typeOf(schema: Schema): string | undefined {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return (type.find((t) => t !== 'null') ?? type[0]) as string | undefined;
  if (schema.properties !== undefined) return 'object';
  if (schema.items !== undefined || schema.prefixItems !== undefined) return 'array';
  return undefined;
}

function resolveRef(ref: string, root: Schema): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = asSchema(node)?.[key];
  }
  return node;
}

function mergeAllOf(schema: Schema, root: Schema): Schema {
  const { allOf, ...rest } = schema;
  const merged: Schema = { ...rest };
  for (const part of allOf as unknown[]) {
    const resolved =
      asSchema(part)?.$ref === undefined
        ? asSchema(part)
        : asSchema(resolveRef(String(asSchema(part)?.$ref), root));
    if (!resolved) continue;
    const properties = { ...asSchema(merged.properties), ...asSchema(resolved.properties) };
    const required = [...(asArray(merged.required) ?? []), ...(asArray(resolved.required) ?? [])];
    Object.assign(merged, resolved, { properties, required });
  }
  return merged;
}

function asArray(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

function stringFor(schema: Schema, name: string): string {
  const word = name.replace(/[^A-Za-z0-9_-]/g, '') || 'value';
  const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
  let text = format ? format(word) : word;
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  while (text.length < min) text += `-${word}`;
  if (typeof schema.maxLength === 'number') text = text.slice(0, Math.max(0, schema.maxLength));
  return text;
}

function numberFor(schema: Schema): number {
  if (typeof schema.minimum === 'number') return schema.minimum;
  if (typeof schema.exclusiveMinimum === 'number') {
    const above = schema.exclusiveMinimum + 1;
    return typeof schema.maximum === 'number' && above > schema.maximum
      ? (schema.exclusiveMinimum + schema.maximum) / 2
      : above;
  }
  if (typeof schema.maximum === 'number' && schema.maximum < 0) return schema.maximum;
  if (typeof schema.exclusiveMaximum === 'number' && schema.exclusiveMaximum <= 0)
    return schema.exclusiveMaximum - 1;
  return 0;
}

function integerFor(schema: Schema): number {
  if (typeof schema.minimum === 'number') return Math.ceil(schema.minimum);
  if (typeof schema.exclusiveMinimum === 'number') return Math.floor(schema.exclusiveMinimum) + 1;
  if (typeof schema.maximum === 'number' && schema.maximum < 0) return Math.floor(schema.maximum);
  if (typeof schema.exclusiveMaximum === 'number' && schema.exclusiveMaximum <= 0) {
    return Math.ceil(schema.exclusiveMaximum) - 1;
  }
  return 0;
}

function arrayFor(schema: Schema, root: Schema, name: string, depth: number): unknown[] {
  const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
  const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : Number.POSITIVE_INFINITY;
  const count = Math.min(maxItems, depth >= SHALLOW_DEPTH ? minItems : Math.max(1, minItems));
  const prefix = asArray(schema.prefixItems) ?? [];
  const itemName = name.endsWith('s') && name.length > 1 ? name.slice(0, -1) : name;
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    out.push(generate(i < prefix.length ? prefix[i] : (schema.items ?? {}), root, itemName, depth + 1));
  }
  return out;
}

function objectFor(schema: Schema, root: Schema, depth: number): Record<string, unknown> {
  const properties = asSchema(schema.properties) ?? {};
  const required = new Set((asArray(schema.required) ?? []).map(String));
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(properties)) {
    if (depth >= SHALLOW_DEPTH && !required.has(key)) continue;
    out[key] = generate(sub, root, key, depth + 1);
  }
  // A required property the schema does not describe still has to be present.
  for (const key of required) if (!(key in out)) out[key] = null;
  return out;
}
