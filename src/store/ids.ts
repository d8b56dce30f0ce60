import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

// Random bytes drawn from a pool: one system call per 4 KiB instead of one per id.
const pool = Buffer.alloc(4096);
let offset = pool.length;

function random(n: number): Buffer {
  if (offset + n > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += n;
  return pool.subarray(offset - n, offset);
}

/**
 * A run id that sorts by creation time: `run_` + milliseconds in base 36 (fixed width) + 10 random
 * characters. Sortable ids make cursor pagination a plain `id < cursor`.
 */
export function newRunId(now: number = Date.now()): string {
  const time = now.toString(36).padStart(9, '0');
  const bytes = random(10);
  let rand = '';
  for (const b of bytes) rand += ALPHABET[b % 36];
  return `run_${time}${rand}`;
}

/** A W3C trace id: 32 lowercase hex characters. */
export function newTraceId(): string {
  return random(16).toString('hex');
}
