import { describe, expect, it } from 'vitest';
import { parseDurationArg, parseIntArg, parseJsonArg, parseStatusArg } from './args.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe('command-line values', () => {
  it('parses JSON or reports INVALID_ARGUMENT with the expected form', () => {
    expect(parseJsonArg('{"a":1}', '--input')).toEqual({ a: 1 });
    expect(codeOf(() => parseJsonArg('{a:1}', '--input'))).toBe('INVALID_ARGUMENT');
    expect(() => parseJsonArg('{a:1}', '--input')).toThrow(/could not parse --input as JSON/);
    expect(() => parseJsonArg('@/no/such/file.json', '--input')).toThrow(
      /cannot read --input file \/no\/such\/file.json: no such file/,
    );
  });

  it('parses integers, durations and statuses', () => {
    expect(parseIntArg('5', '--limit', 1)).toBe(5);
    expect(codeOf(() => parseIntArg('0', '--limit', 1))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => parseIntArg('2.5', '--priority'))).toBe('INVALID_ARGUMENT');
    expect(parseDurationArg('30d', '--older-than')).toBe(30 * 86_400_000);
    expect(parseDurationArg('0s', '--older-than')).toBe(0);
    expect(parseDurationArg('250', '--lease')).toBe(250);
    expect(codeOf(() => parseDurationArg('soon', '--timeout'))).toBe('INVALID_ARGUMENT');
    expect(parseStatusArg('failed,cancelled')).toEqual(['failed', 'cancelled']);
    expect(codeOf(() => parseStatusArg('done'))).toBe('INVALID_ARGUMENT');
  });
});
