/**
 * Webhook signatures. Every delivery carries a `Baton-Signature` header:
 *
 * ```
 * Baton-Signature: t=1763726400,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
 * ```
 *
 * `t` is the Unix time (seconds) of the attempt and `v1` the lowercase hex HMAC-SHA256, keyed with the
 * subscription's secret, of `` `${t}.${body}` `` where `body` is the raw request body, byte for byte.
 * A receiver recomputes it over the body it read (before any JSON parsing), compares in constant time,
 * and rejects a `t` further than a few minutes from its clock, so that a captured request cannot be
 * replayed later. Each attempt is signed anew, so a retried delivery has a fresh `t`. More than one
 * `v1` may appear (reserved for rotating secrets): a match with any of them is valid.
 *
 * Receivers should also deduplicate on the `Baton-Delivery` header: a delivery may arrive more than once.
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries the signature. */
export const SIGNATURE_HEADER = 'Baton-Signature';

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** Largest accepted distance between `t` and `now`, in seconds. @defaultValue 300 */
  toleranceSec?: number;
  /** The receiver's clock (epoch milliseconds). @defaultValue Date.now */
  now?: () => number;
}

/**
 * The `Baton-Signature` header value for `body` sent at `timestamp` (Unix seconds).
 * @example
 * signWebhook('whsec_abc', Math.floor(Date.now() / 1000), JSON.stringify(payload))
 * // 't=1763726400,v1=5257a8…'
 */
export function signWebhook(secret: string, timestamp: number, body: string | Uint8Array): string {
  return `t=${timestamp},v1=${hmacHex(secret, timestamp, body)}`;
}

/**
 * Checks a `Baton-Signature` header against the raw body: true only when the header is well formed, its
 * timestamp is within `toleranceSec` of `now`, and one of its `v1` signatures matches.
 * @example
 * const raw = await readRawBody(req); // the exact bytes, before JSON.parse
 * if (!verifyWebhook(process.env.BATON_WEBHOOK_SECRET, req.headers['baton-signature'], raw)) {
 *   res.writeHead(400).end();
 * }
 */
export function verifyWebhook(
  secret: string,
  header: string | string[] | undefined | null,
  body: string | Uint8Array,
  options: VerifyWebhookOptions = {},
): boolean {
  if (typeof header !== 'string' || secret.length === 0) return false;
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return false;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't') {
      if (!/^\d{1,12}$/.test(value)) return false;
      timestamp = Number(value);
    } else if (name === 'v1') {
      candidates.push(value);
    }
  }
  if (timestamp === undefined || candidates.length === 0) return false;
  const toleranceSec = options.toleranceSec ?? 300;
  const nowSec = (options.now ?? Date.now)() / 1000;
  if (Math.abs(nowSec - timestamp) > toleranceSec) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'utf8');
  let valid = false;
  for (const candidate of candidates) {
    const given = Buffer.from(candidate, 'utf8');
    // Every candidate is compared (no early exit), and only equal lengths reach timingSafeEqual.
    if (given.length === expected.length && timingSafeEqual(given, expected)) valid = true;
  }
  return valid;
}

function hmacHex(secret: string, timestamp: number, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}
