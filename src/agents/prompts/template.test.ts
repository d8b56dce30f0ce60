import { describe, expect, it } from 'vitest';
import { BatonError } from '../../core/errors.js';
import { parseTemplate, renderTemplate } from './template.js';

const source = { file: 'p/v1.md', line: 10 };
const render = (text: string, values: Record<string, unknown>) =>
  renderTemplate(parseTemplate(text, source), values);

describe('parseTemplate', () => {
  it('splits text and references, with spaces inside braces allowed', () => {
    expect(parseTemplate('Hi {{ name }}, see {{a.b.0}}.', source)).toEqual([
      { kind: 'text', text: 'Hi ' },
      { kind: 'variable', ref: 'name', path: ['name'], line: 10 },
      { kind: 'text', text: ', see ' },
      { kind: 'variable', ref: 'a.b.0', path: ['a', 'b', '0'], line: 10 },
      { kind: 'text', text: '.' },
    ]);
  });

  it('reads \\{{ as a literal {{ and keeps a lone }}', () => {
    expect(render('\\{{name}} and }} and {{name}}', { name: 'x' }).text).toBe('{{name}} and }} and x');
  });

  it.each([['{{#if x}}y{{/if}}'], ['{{ a + b }}'], ['{{{name}}}'], ['{{}}'], ['{{a..b}}'], ['{{1abc}}']])(
    'rejects %s, which is not a plain reference',
    (text) => {
      expect(() => parseTemplate(text, source)).toThrow(/not a variable reference/);
    },
  );

  it('names the file and line of an unclosed {{', () => {
    const err = catchError(() => parseTemplate('one\ntwo {{name\nthree', source));
    expect(err.code).toBe('PROMPT_INVALID');
    expect(err.message).toMatch(/^p\/v1\.md:11: a `\{\{` is never closed/);
    expect(err.details).toEqual({ file: 'p/v1.md', line: 11 });
  });
});

describe('renderTemplate', () => {
  it('inserts strings as they are and other values as text or JSON', () => {
    const values = {
      s: 'text with {{braces}}',
      n: 3.5,
      b: false,
      nil: null,
      list: [1, 'two'],
      obj: { a: { b: 'deep' } },
      when: new Date('2026-01-02T03:04:05.000Z'),
    };
    const { text, missing } = render(
      '{{s}}|{{n}}|{{b}}|{{nil}}|{{obj.a.b}}|{{when}}|{{list.1}}\n{{list}}\n{{obj}}',
      values,
    );
    expect(missing).toEqual([]);
    expect(text).toBe(
      'text with {{braces}}|3.5|false|null|deep|2026-01-02T03:04:05.000Z|two\n' +
        '[\n  1,\n  "two"\n]\n' +
        '{\n  "a": {\n    "b": "deep"\n  }\n}',
    );
  });

  it('reports every missing reference once, in order, including unresolved nested paths', () => {
    const { missing } = render('{{b}} {{a.x}} {{b}} {{a.y}} {{c.d}} {{s.length}} {{u}}', {
      a: { y: 1 },
      c: 'not an object',
      s: 'abc',
      u: undefined,
    });
    expect(missing).toEqual(['b', 'a.x', 'c.d', 's.length', 'u']);
  });

  it('never reaches the prototype chain', () => {
    expect(render('{{constructor}} {{a.__proto__}} {{a.toString}}', { a: {} }).missing).toEqual([
      'constructor',
      'a.__proto__',
      'a.toString',
    ]);
  });

  it('refuses functions and cyclic values', () => {
    expect(() => render('{{f}}', { f: () => 1 })).toThrow(/is a function/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => render('{{c}}', { c: cyclic })).toThrow(/cannot be written as JSON/);
  });
});

function catchError(fn: () => unknown): BatonError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BatonError) return err;
    throw err;
  }
  throw new Error('expected a BatonError');
}
