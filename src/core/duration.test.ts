import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';
import { BatonError } from './errors.js';

describe('parseDuration', () => {
  it.each([
    [0, 0],
    [250, 250],
    [1.4, 1],
    ['250ms', 250],
    ['5s', 5_000],
    ['1.5s', 1_500],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['3d', 259_200_000],
    ['1w', 604_800_000],
    ['1h30m', 5_400_000],
    ['1h 30m 15s', 5_415_000],
    ['2d4h', 187_200_000],
    ['1m500ms', 60_500],
    ['  5s ', 5_000],
    ['PT5M', 300_000],
    ['P3D', 259_200_000],
    ['P1W', 604_800_000],
    ['PT1H30M', 5_400_000],
    ['P1DT12H', 129_600_000],
    ['PT0.5S', 500],
    ['pt10s', 10_000],
  ])('parses %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['', /empty/],
    ['5', /no unit/],
    ['5x', /not a duration/],
    ['abc', /not a duration/],
    ['-5s', /negative/],
    [-1, /zero or more/],
    [Number.NaN, /finite/],
    ['30m1h', /out of order/],
    ['1h1h', /out of order or twice/],
    ['P', /ISO-8601/],
    ['PT', /ISO-8601/],
    ['P1DT', /ISO-8601/],
    ['P1M', /years or months/],
    ['P1Y', /years or months/],
    ['99999999999999w', /too large/],
  ])('rejects %j', (text, message) => {
    const run = () => parseDuration(text);
    expect(run).toThrow(BatonError);
    expect(run).toThrow(message);
    try {
      run();
    } catch (err) {
      expect((err as BatonError).code).toBe('INVALID_ARGUMENT');
    }
  });

  it('rejects values that are neither strings nor numbers', () => {
    expect(() => parseDuration(null as unknown as string)).toThrow(/got null/);
  });

  it('suggests units for a bare number string', () => {
    expect(() => parseDuration('30')).toThrow(/"30ms" or "30s"/);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [250, '250ms'],
    [5_000, '5s'],
    [90_000, '1m30s'],
    [5_400_000, '1h30m'],
    [129_600_000, '1d12h'],
    [1_209_600_000, '2w'],
    [-1_500, '-1s500ms'],
    [1.6, '2ms'],
  ])('formats %d as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('is read back by parseDuration', () => {
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), (ms) => parseDuration(formatDuration(ms)) === ms),
      { numRuns: 200 },
    );
  });
});
