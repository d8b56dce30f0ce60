/**
 * Key secrets: `<prefix>_<id>_<random>` (`bvk_` for the gateway's virtual keys, `bk_` for the API
 * server's keys), where `<id>` is 8 base62 characters (the key's id and
 * visible prefix, used to find its row) and `<random>` is 43 base62 characters drawn from
 * `crypto.randomBytes` (about 256 bits). Pure: no I/O besides the system's random source.
 *
 * Only the SHA-256 hash of the whole secret is stored. A fast hash is right here, unlike for passwords:
 * slow, salted hashes (bcrypt, scrypt, argon2) exist to make guessing a low-entropy password costly, but
 * a 256-bit random secret cannot be guessed at any hash speed, and a slow hash would add milliseconds
 * to every request the gateway authenticates. The hashes are compared in constant time.
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Characters of the key id. */
export const KEY_ID_LENGTH = 8;

/** Characters of the random part of a new secret (log2(62) * 43 ≈ 256 bits). */
export const KEY_RANDOM_LENGTH = 43;

/** The prefix of the gateway's virtual keys, the default of every function here. */
export const VIRTUAL_KEY_PREFIX = 'bvk';

/** Accepted on parse: at least 40 random characters, and no secret longer than 200 characters. */
const MAX_SECRET_LENGTH = 200;
const patterns = new Map<string, RegExp>();

function secretPattern(prefix: string): RegExp {
  let pattern = patterns.get(prefix);
  if (!pattern) {
    if (!/^[a-z]+$/.test(prefix)) throw new TypeError(`a key prefix is lowercase letters, got ${prefix}`);
    pattern = new RegExp(`^${prefix}_([0-9A-Za-z]{${KEY_ID_LENGTH}})_[0-9A-Za-z]{40,}$`);
    patterns.set(prefix, pattern);
  }
  return pattern;
}

/** `length` base62 characters from `crypto.randomBytes`, without modulo bias. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length + 8)) {
      // 248 = 4 * 62: bytes from 248 up would favour the first characters, so they are dropped.
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A new key id and its secret, `<prefix>_<id>_<random>`. */
export function newKeySecret(prefix = VIRTUAL_KEY_PREFIX): { id: string; secret: string } {
  secretPattern(prefix);
  const id = randomBase62(KEY_ID_LENGTH);
  return { id, secret: `${prefix}_${id}_${randomBase62(KEY_RANDOM_LENGTH)}` };
}

/** The visible prefix of a key with this id, as shown in lists: `bvk_<id>` by default. */
export function keyPrefix(id: string, prefix = VIRTUAL_KEY_PREFIX): string {
  return `${prefix}_${id}`;
}

/**
 * The key id of a well-formed secret with this prefix, or undefined for anything else (cheap: no
 * hashing).
 */
export function parseKeySecret(secret: unknown, prefix = VIRTUAL_KEY_PREFIX): string | undefined {
  if (typeof secret !== 'string' || secret.length > MAX_SECRET_LENGTH) return undefined;
  return secretPattern(prefix).exec(secret)?.[1];
}

/** The stored form of a secret: SHA-256 of the whole secret, in hex. */
export function hashKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether `secret` hashes to `storedHash`, compared in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const actual = Buffer.from(hashKeySecret(secret), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  // Lengths differ only for a corrupt row; timingSafeEqual throws on unequal lengths.
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
