import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMasker, type MaskingSession } from './masker.js';

function session(): MaskingSession {
  const pii = createMasker({ customPatterns: [{ name: 'quoted', pattern: /Q"[a-z]+"/ }] });
  pii.mask(
    'jane@example.com bob@example.org a@b.io c@d.io e@f.io g@h.io i@j.io k@l.io m@n.io o@p.io p@q.io q@r.io',
  );
  pii.mask('+44 20 7946 0958 and Q"abc"');
  return pii; // EMAIL_1..EMAIL_12, PHONE_1, QUOTED_1
}

function streamed(pii: MaskingSession, chunks: string[], json = false): string {
  const r = pii.streamRestorer({ json });
  return chunks.map((c) => r.push(c)).join('') + r.end();
}

/** Every way to cut `text` into chunks, as cut-position bitmasks. */
function* allChunkings(text: string): Generator<string[]> {
  const gaps = text.length - 1;
  for (let mask = 0; mask < 2 ** gaps; mask++) {
    const chunks: string[] = [];
    let from = 0;
    for (let i = 0; i < gaps; i++) {
      if (mask & (1 << i)) {
        chunks.push(text.slice(from, i + 1));
        from = i + 1;
      }
    }
    chunks.push(text.slice(from));
    yield chunks;
  }
}

describe('createStreamRestorer', () => {
  it('restores a placeholder split across chunks and holds back only a possible prefix', () => {
    const pii = session();
    const r = pii.streamRestorer();
    expect(r.push('Write to [EMA')).toBe('Write to ');
    expect(r.push('IL_1')).toBe('');
    expect(r.push('] and [x] [PH')).toBe('jane@example.com and [x] ');
    expect(r.push('ONE_1]')).toBe('+44 20 7946 0958');
    expect(r.push(' [EMAIL_1')).toBe(' '); // could still become [EMAIL_10..12]
    expect(r.push('2]')).toBe('q@r.io');
    expect(r.push('[EMAIL_')).toBe('');
    expect(r.end()).toBe('[EMAIL_');
    expect(() => r.push('x')).toThrow(/after end/);
  });

  it('passes through brackets that cannot start an issued placeholder', () => {
    const r = session().streamRestorer();
    expect(r.push('array[0] and [link](x) and [CARD_')).toBe('array[0] and [link](x) and [CARD_');
  });

  it('escapes values as JSON in tool-call argument channels', () => {
    const pii = session();
    expect(streamed(pii, ['{"v":"[QUO', 'TED_1]","to":"[EMAIL_2', ']"}'], true)).toBe(
      '{"v":"Q\\"abc\\"","to":"bob@example.org"}',
    );
  });

  it('equals whole-text restore for every chunking of short texts', () => {
    const pii = session();
    for (const text of ['a[EMAIL_1]b[', '[[EMAIL_12]]', '[PHONE_1[EMAIL_1]', 'x[EMAIL_1_]y']) {
      const whole = pii.restore(text);
      for (const chunks of allChunkings(text)) expect(streamed(pii, chunks)).toBe(whole);
    }
  });

  it('equals whole-text restore for random texts and chunkings', () => {
    const pii = session();
    const piece = fc.oneof(
      fc.constantFrom(
        '[EMAIL_1]',
        '[EMAIL_12]',
        '[EMAIL_13]',
        '[PHONE_1]',
        '[QUOTED_1]',
        '[EMAIL_',
        '[',
        ']',
        '_1',
        'EMAIL',
        '"',
      ),
      fc.string({ maxLength: 8 }),
    );
    const text = fc.array(piece, { maxLength: 16 }).map((p) => p.join(''));
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), (t, cuts, json) => {
        const points = [...new Set(cuts.map((c) => c % (t.length + 1)))].sort((a, b) => a - b);
        const chunks: string[] = [];
        let from = 0;
        for (const p of points) {
          chunks.push(t.slice(from, p));
          from = p;
        }
        chunks.push(t.slice(from));
        const whole = json ? pii.restoreJson({ arguments: t }).arguments : pii.restore(t);
        expect(streamed(pii, chunks, json)).toBe(whole);
      }),
      { numRuns: 1000, seed: 3 },
    );
  });
});
