/**
 * Request ids that sort by time: `req_` + 10 base-36 digits of milliseconds + 12 random hex digits.
 * Appending them keeps the request log's primary-key index append-only instead of scattering each
 * insert across the tree as a random UUID would, which is most of the cost of logging a call.
 * @module
 */
import { randomBytes } from 'node:crypto';

let pool = Buffer.alloc(0);
let offset = 0;

/** A new request id; ids made later sort after earlier ones (to the millisecond). */
export function newRequestId(now: number = Date.now()): string {
  if (offset + 6 > pool.length) {
    // One call to the CSPRNG per 1,024 ids.
    pool = randomBytes(6 * 1024);
    offset = 0;
  }
  const random = pool.toString('hex', offset, offset + 6);
  offset += 6;
  return `req_${now.toString(36).padStart(10, '0')}${random}`;
}
