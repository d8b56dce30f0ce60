import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * A run id that sorts by creation time: `run_` + milliseconds in base 36 (fixed width) + 10 random
 * characters. Sortable ids make cursor pagination a plain `id < cursor`.
 */
export function newRunId(now: number = Date.now()): string {
  const time = now.toString(36).padStart(9, '0');
  const bytes = randomBytes(10);
  let rand = '';
  for (const b of bytes) rand += ALPHABET[b % 36];
  return `run_${time}${rand}`;
}

/** A W3C trace id: 32 lowercase hex characters. */
export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}
