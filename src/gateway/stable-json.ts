/**
 * JSON with object keys sorted at every level, so that equal values serialize equally whatever
 * their key order: the cache keys requests by it, cassettes key and store exchanges by it.
 * @module
 */

/** `JSON.stringify` with sorted keys; `undefined` members are dropped as it drops them. `indent` pretty-prints. */
export function stableStringify(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}
