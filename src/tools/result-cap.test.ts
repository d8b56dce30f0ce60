import { describe, expect, it } from 'vitest';
import { capContent, cutUtf8, utf8Bytes } from './result-cap.js';

describe('capContent', () => {
  it('leaves a result within the cap untouched', () => {
    expect(capContent('hello', 256)).toEqual({ content: 'hello', truncated: false, bytes: 5 });
  });

  it('cuts a long result to the cap, note included, and says so', () => {
    const capped = capContent('x'.repeat(10_000), 1_000);
    expect(capped.truncated).toBe(true);
    expect(capped.bytes).toBe(10_000);
    expect(utf8Bytes(capped.content)).toBeLessThanOrEqual(1_000);
    expect(capped.content).toMatch(
      /\[truncated: the result was 10000 bytes and only the first \d+ are shown/,
    );
    const kept = Number(/first (\d+) are shown/.exec(capped.content)?.[1]);
    expect(capped.content.startsWith('x'.repeat(kept))).toBe(true);
    expect(capped.content.charAt(kept)).toBe('\n');
  });

  it('never splits a multi-byte character', () => {
    for (let cap = 256; cap < 272; cap += 1) {
      const capped = capContent('é€😀'.repeat(500), cap);
      expect(utf8Bytes(capped.content)).toBeLessThanOrEqual(cap);
      expect(capped.content).not.toContain('\uFFFD');
      const kept = Number(/first (\d+) are shown/.exec(capped.content)?.[1]);
      expect(utf8Bytes(capped.content.slice(0, capped.content.indexOf('\n\n[truncated')))).toBe(kept);
    }
  });
});

describe('cutUtf8', () => {
  it('cuts on a character boundary and marks the cut', () => {
    expect(cutUtf8('abc', 3)).toBe('abc');
    expect(cutUtf8('€€€', 7)).toBe('€…');
    expect(utf8Bytes(cutUtf8('€€€', 7))).toBeLessThanOrEqual(7);
  });
});
