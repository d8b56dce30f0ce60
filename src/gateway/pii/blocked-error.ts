/**
 * The error a `block`-mode route raises when a request carries PII.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import type { PiiType } from './detectors.js';

/**
 * Raised (or returned) instead of masking when a route's PII mode is `block`. It names the types
 * found and how many of each, never the values, so it is safe to log and to return to the client.
 */
export class PiiBlockedError extends BatonError {
  override readonly name = 'PiiBlockedError';
  /** The distinct types found, sorted. */
  readonly types: readonly PiiType[];
  /** How many findings of each type. */
  readonly counts: Readonly<Record<string, number>>;

  constructor(counts: Readonly<Record<string, number>>, options: { route?: string } = {}) {
    const types = Object.keys(counts).sort();
    const where = options.route === undefined ? 'this route' : `route ${options.route}`;
    super(
      'PII_BLOCKED',
      `request blocked: ${where} refuses PII and the request contains ${types.join(', ')}`,
      {
        hint: "Remove the personal data or secrets from the request, or set the route's PII mode to 'mask' to send placeholders instead",
        details: { types, counts: { ...counts } },
      },
    );
    this.types = types;
    this.counts = counts;
  }
}
