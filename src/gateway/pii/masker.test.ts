import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PiiBlockedError } from './blocked-error.js';
import { createMasker } from './masker.js';

const SAMPLES = [
  'jane.doe@example.com',
  '+44 20 7946 0958',
  '(415) 555-0132',
  '4111 1111 1111 1111',
  'DE89 3704 0044 0532 0130 00',
  '123-45-6789',
  '192.168.1.10',
  '2001:db8::8a2e:370:7334',
  'sk-proj-abc123DEF456ghi789JKL012',
  'api_key=9f8a7b6c5d4e3f2a1b0c',
  '[EMAIL_1]',
  '[PHONE_2]',
  '[',
  ']',
  '_1]',
  '"',
  '\\',
  ' ',
  '\n',
];
/** Strings mixing arbitrary text with PII, placeholder look-alikes and JSON metacharacters. */
const mixedText = fc
  .array(
    fc.oneof(
      fc.constantFrom(...SAMPLES),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'grapheme', maxLength: 6 }),
    ),
    {
      maxLength: 12,
    },
  )
  .map((parts) => parts.join(''));

describe('createMasker, mode mask', () => {
  it('masks with stable, per-type numbered placeholders and restores', () => {
    const pii = createMasker();
    const masked = pii.mask(
      'Mail jane@example.com or bob@example.org; again jane@example.com, card 4111-1111-1111-1111',
    );
    expect(masked).toBe('Mail [EMAIL_1] or [EMAIL_2]; again [EMAIL_1], card [CARD_1]');
    expect(pii.mask('cc jane@example.com')).toBe('cc [EMAIL_1]');
    expect(pii.restore('Sent to [EMAIL_2] and [EMAIL_1]; [EMAIL_9] unknown')).toBe(
      'Sent to bob@example.org and jane@example.com; [EMAIL_9] unknown',
    );
    expect(pii.summary()).toEqual({ EMAIL: 2, CARD: 1 });
  });

  it('never issues a placeholder that already occurs in the input', () => {
    const pii = createMasker();
    const text = 'template [EMAIL_1] for jane@example.com';
    const masked = pii.mask(text);
    expect(masked).toBe('template [EMAIL_1] for [EMAIL_2]');
    expect(pii.restore(masked)).toBe(text);
    expect(pii.summary()).toEqual({ EMAIL: 1 });
  });

  it('uses custom patterns and the selected built-in types', () => {
    const pii = createMasker({
      types: ['EMAIL'],
      customPatterns: [{ name: 'order id', pattern: /ORD-\d{6}/ }],
    });
    expect(pii.mask('ORD-123456 from jane@example.com at 192.168.1.10')).toBe(
      '[ORDER_ID_1] from [EMAIL_1] at 192.168.1.10',
    );
  });

  it('mask then restore gives back any string', () => {
    fc.assert(
      fc.property(mixedText, (text) => {
        const pii = createMasker();
        expect(pii.restore(pii.mask(text))).toBe(text);
      }),
      { numRuns: 500, seed: 42 },
    );
  });

  it('masks chat messages, content parts, tool-call arguments and tool results', () => {
    const body = {
      model: 'gpt-x',
      temperature: 0.2,
      messages: [
        { role: 'user', content: 'I am jane@example.com, call +1 (415) 555-0132' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'card 4111 1111 1111 1111' },
            { type: 'image_url', image_url: { url: 'https://x.io/a.png' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'c1',
              type: 'function',
              function: { name: 'send', arguments: '{"to": "jane@example.com", "body": "say \\"hi\\""}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: '{"ok":true,"ip":"10.1.2.3"}' },
      ],
    };
    const pii = createMasker();
    const masked = pii.maskJson(body);
    expect(JSON.stringify(masked)).not.toMatch(/jane@|555-0132|4111|10\.1\.2\.3/);
    expect(masked.messages[0]?.content).toBe('I am [EMAIL_1], call [PHONE_1]');
    const args = (masked.messages[2] as { tool_calls: { function: { arguments: string } }[] }).tool_calls[0]
      ?.function.arguments;
    expect(JSON.parse(args ?? '')).toEqual({ to: '[EMAIL_1]', body: 'say "hi"' });
    expect(masked.temperature).toBe(0.2);
    const restored = pii.restoreJson(masked);
    const restoredArgs = (restored.messages[2] as { tool_calls: { function: { arguments: string } }[] })
      .tool_calls[0]?.function.arguments;
    expect(JSON.parse(restoredArgs ?? '')).toEqual({ to: 'jane@example.com', body: 'say "hi"' });
    expect({ ...restored, messages: restored.messages.filter((_, i) => i !== 2) }).toEqual({
      ...body,
      messages: body.messages.filter((_, i) => i !== 2),
    });
  });

  it('leaves arguments without PII byte-identical, and escapes restored values as JSON', () => {
    const pii = createMasker({ customPatterns: [{ name: 'quoted', pattern: /Q"[a-z]+"/ }] });
    expect(pii.maskJson({ arguments: '{ "a" : 1 }' })).toEqual({ arguments: '{ "a" : 1 }' });
    pii.mask('x Q"abc" y');
    expect(pii.restoreJson({ arguments: '{"v":"[QUOTED_1]"}', text: '[QUOTED_1]' })).toEqual({
      arguments: '{"v":"Q\\"abc\\""}',
      text: 'Q"abc"',
    });
  });

  it('maskJson then restoreJson gives back any JSON value', () => {
    const leaf = fc.oneof(mixedText, fc.integer(), fc.boolean(), fc.constant(null));
    const { json } = fc.letrec((tie) => ({
      json: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('json'), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 6 }), tie('json'), { maxKeys: 4 }),
      ),
    }));
    fc.assert(
      fc.property(fc.oneof(json, fc.jsonValue()), (value) => {
        const pii = createMasker();
        expect(pii.restoreJson(pii.maskJson(value))).toEqual(value);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('keeps "__proto__" keys as data', () => {
    const value = JSON.parse('{"__proto__": {"x": "jane@example.com"}}') as unknown;
    const pii = createMasker();
    const masked = pii.maskJson(value) as Record<string, unknown>;
    expect(Object.getPrototypeOf(masked)).toBe(Object.prototype);
    expect(JSON.stringify(masked)).toBe('{"__proto__":{"x":"[EMAIL_1]"}}');
  });
});

describe('createMasker, modes block and off', () => {
  it('block throws PII_BLOCKED with types and counts, never values', () => {
    const pii = createMasker({ mode: 'block', route: 'support-bot' });
    expect(pii.mask('no personal data here, order 12345')).toBe('no personal data here, order 12345');
    let error: unknown;
    try {
      pii.maskJson({
        messages: [{ content: 'jane@example.com and bob@example.org' }, { content: 'SSN 123-45-6789' }],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PiiBlockedError);
    const blocked = error as PiiBlockedError;
    expect(blocked.code).toBe('PII_BLOCKED');
    expect(blocked.types).toEqual(['EMAIL', 'SSN']);
    expect(blocked.counts).toEqual({ EMAIL: 2, SSN: 1 });
    expect(blocked.message).toContain('route support-bot');
    expect(JSON.stringify(blocked.toInfo()) + blocked.message).not.toMatch(/jane|bob|6789/);
    expect(() => pii.mask('ping 8.8.8.8')).toThrow(PiiBlockedError);
  });

  it('off passes everything through', () => {
    const pii = createMasker({ mode: 'off' });
    const body = { content: 'jane@example.com' };
    expect(pii.maskJson(body)).toBe(body);
    expect(pii.mask('jane@example.com')).toBe('jane@example.com');
    expect(pii.restore('[EMAIL_1]')).toBe('[EMAIL_1]');
  });

  it('scan counts findings in any mode', () => {
    expect(createMasker({ mode: 'off' }).scan(['a@b.io', { x: '8.8.8.8 and c@d.io' }])).toEqual({
      EMAIL: 2,
      IPV4: 1,
    });
  });
});
