/**
 * Record and replay for providers: wrap a real provider with a cassette in `record` mode once, then
 * run tests and demos in `replay` mode with no provider, key or network at all.
 *
 * A cassette is pretty JSON with sorted keys: `{ version: 1, provider, offline?, entries: [{ key,
 * request, response | chunks | embedding | error }] }`, where `key` is the SHA-256 of the canonical
 * request (sorted-key JSON of `{ kind, provider, model, request }`).
 * @module
 */
export { type CanonicalRequest, canonicalRequest, cassetteKey, stableStringify } from './canonical.js';
export {
  type Cassette,
  type CassetteEntry,
  type RecordedError,
  readCassette,
  writeCassette,
} from './cassette-file.js';
export { type CassetteMode, type CassetteOptions, createCassetteProvider } from './cassette-provider.js';
