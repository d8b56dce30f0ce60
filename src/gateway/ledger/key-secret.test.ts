import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  hashKeySecret,
  keyPrefix,
  newKeySecret,
  parseKeySecret,
  randomBase62,
  secretMatches,
} from './key-secret.js';

describe('key secrets', () => {
  it('have the format bvk_<8-char id>_<43 random base62>', () => {
    const { id, secret } = newKeySecret();
    expect(secret).toMatch(/^bvk_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}$/);
    expect(secret.startsWith(`${keyPrefix(id)}_`)).toBe(true);
    expect(parseKeySecret(secret)).toBe(id);
  });

  it('differ every time', () => {
    const secrets = new Set(Array.from({ length: 1000 }, () => newKeySecret().secret));
    expect(secrets.size).toBe(1000);
  });

  it('draw every base62 character', () => {
    expect(new Set(randomBase62(20_000)).size).toBe(62);
  });

  it('are stored as the SHA-256 hex of the whole secret, matched only by that secret', () => {
    const { secret } = newKeySecret();
    const hash = hashKeySecret(secret);
    expect(hash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(secretMatches(secret, hash)).toBe(true);
    expect(secretMatches(`${secret.slice(0, -1)}${secret.endsWith('a') ? 'b' : 'a'}`, hash)).toBe(false);
    // A corrupt stored hash never matches (and does not throw on the length difference).
    expect(secretMatches(secret, hash.slice(2))).toBe(false);
  });

  it('refuse malformed input without hashing', () => {
    const { secret } = newKeySecret();
    for (const s of [
      '',
      'bvk_',
      'bvk_abcdefgh_short',
      `bvk_abcdefg_${'a'.repeat(43)}`,
      `${secret}\n`,
      42,
      null,
    ]) {
      expect(parseKeySecret(s), String(s)).toBeUndefined();
    }
    expect(parseKeySecret(`bvk_abcdefgh_${'a'.repeat(40)}`)).toBe('abcdefgh');
    expect(parseKeySecret(`bvk_abcdefgh_${'a'.repeat(200)}`)).toBeUndefined();
  });
});
