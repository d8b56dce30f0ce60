import { describe, expect, it } from 'vitest';
import { BatonError } from '../core/errors.js';
import { parseSpecText } from './parse.js';

const yaml = `
name: hello
version: 1.10
steps:
  - id: greet
    kind: fn
    fn: greet
    timeout: 30s
`;

const json = JSON.stringify({
  name: 'hello',
  version: '1.10',
  steps: [{ id: 'greet', kind: 'fn', fn: 'greet', timeout: '30s' }],
});

function thrown(run: () => unknown): BatonError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(BatonError);
    return err as BatonError;
  }
  throw new Error('expected an error');
}

describe('parseSpecText', () => {
  it('reads YAML and JSON into the same document', () => {
    expect(parseSpecText(yaml)).toEqual(parseSpecText(json));
    expect(parseSpecText(json, 'json')).toEqual(parseSpecText(yaml, 'yaml'));
  });

  it('detects JSON by its first character, after whitespace and a BOM', () => {
    expect(parseSpecText(`\uFEFF  \n${json}`)).toMatchObject({ name: 'hello' });
  });

  it('reads JSON text as YAML when asked to', () => {
    expect(parseSpecText(json, 'yaml')).toMatchObject({ name: 'hello', version: '1.10' });
  });

  it('keeps a numeric YAML version as written', () => {
    expect(parseSpecText('name: a\nversion: 2.0\n')).toEqual({ name: 'a', version: '2.0' });
    expect(parseSpecText('name: a\nversion: 3\n')).toEqual({ name: 'a', version: '3' });
  });

  it('reports YAML syntax errors with line and column', () => {
    const err = thrown(() => parseSpecText('name: a\nsteps: [1,\nversion: 2\n'));
    expect(err.code).toBe('INVALID_SPEC');
    expect(err.message).toMatch(/not valid YAML/);
    expect(err.details).toMatchObject({ format: 'yaml', line: 3, column: 1 });
  });

  it('reports duplicate YAML keys', () => {
    const err = thrown(() => parseSpecText('name: a\nname: b\n'));
    expect(err.details).toMatchObject({ format: 'yaml', line: 2, column: 1 });
    expect(err.message).toMatch(/unique/);
  });

  it('reports JSON syntax errors with line and column', () => {
    const err = thrown(() => parseSpecText('{\n  "name": "a",\n  "version": }'));
    expect(err.code).toBe('INVALID_SPEC');
    expect(err.message).toMatch(/not valid JSON/);
    expect(err.details).toMatchObject({ format: 'json', line: 3, column: 14 });
  });

  it('reports truncated JSON at its end', () => {
    const err = thrown(() => parseSpecText('{"name": "a"', 'json'));
    expect(err.details).toMatchObject({ format: 'json', line: 1 });
  });

  it('refuses YAML alias bombs', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 6; i++) {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      bomb.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    expect(() => parseSpecText(bomb.join('\n'))).toThrow(/aliases|Excessive/i);
  });
});

describe('parseSpecText JSON error locations', () => {
  it.each([
    ['{"a": 1,}', 1, 9],
    ['[1 2]', 1, 4],
    ['{\n  "name": "a",\n  "version": }', 3, 14],
    ['{\n  "a": "b"\n  "c": 1\n}', 3, 3],
    ['{"a": tru}', 1, 10],
    ['{"aaaaaaaaaaaaaaaaaaaaaa": x, "b": 1, "c": 2, "d": 3}', 1, 28],
  ])('locates the error in %j at line %d, column %d', (text, line, column) => {
    const err = thrown(() => parseSpecText(text));
    expect(err.details).toMatchObject({ line, column });
  });
});
