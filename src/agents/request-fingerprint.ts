/**
 * Fingerprints of model requests, kept in a step's history (`step-succeeded` provenance) so that a
 * replay can tell whether new code would send the model the same request as the recorded run did.
 * @module
 */
import { createHash } from 'node:crypto';
import { stableStringify } from '../gateway/stable-json.js';

/** A short hash of a request's JSON, independent of key order. */
export function requestFingerprint(request: unknown): string {
  return createHash('sha256').update(stableStringify(request)).digest('hex').slice(0, 16);
}
