import { describe, expect, it } from 'vitest';
import { bucketLabel, isEmpty, lightClass, type Stats, spanOf, THRESHOLDS } from './overview-model';
import { niceCeil } from './time-chart';

describe('overview thresholds', () => {
  it('judges the success rate at 99 % and 95 %', () => {
    const light = THRESHOLDS.successRate.light;
    expect([light(1), light(0.99), light(0.989), light(0.95), light(0.949), light(null)]).toEqual([
      'green',
      'green',
      'amber',
      'amber',
      'red',
      'none',
    ]);
  });

  it('judges the p95 duration at 1 and 5 minutes, and the error rate at 1 % and 5 %', () => {
    const p95 = THRESHOLDS.p95Duration.light;
    expect([p95(60_000), p95(60_001), p95(300_000), p95(300_001), p95(null)]).toEqual([
      'green',
      'amber',
      'amber',
      'red',
      'none',
    ]);
    const errors = THRESHOLDS.errorRate.light;
    expect([errors(0), errors(0.01), errors(0.049), errors(0.05), errors(null)]).toEqual([
      'green',
      'amber',
      'amber',
      'red',
      'none',
    ]);
    expect([lightClass('red'), lightClass('none')]).toEqual(['kpi kpi-red', 'kpi']);
  });
});

describe('overview figures', () => {
  it('words bucket widths and rounds chart maxima up to 1, 2 or 5 times a power of ten', () => {
    expect([60_000, 1_800_000, 10_800_000, 86_400_000].map(bucketLabel)).toEqual([
      '1 min',
      '30 min',
      '3 h',
      '1 d',
    ]);
    expect([0, 0.003, 1, 3, 7, 10, 11, 728].map(niceCeil)).toEqual([1, 0.005, 1, 5, 10, 10, 20, 1000]);
    expect(spanOf({ since: 0, until: 7_200_000 })).toEqual({ minutes: 120, hours: 2 });
  });

  it('calls a window empty only when nothing ran, runs or called a model', () => {
    const bucket = { at: 0, started: 0, succeeded: 0, failed: 0, calls: 0, tokens: 0, costUsd: 0 };
    const stats: Stats = {
      window: '1h',
      since: 0,
      until: 60_000,
      bucketMs: 60_000,
      health: {
        finished: 0,
        succeeded: 0,
        failed: 0,
        cancelled: 0,
        successRate: null,
        durationMs: null,
        errorRate: { windowMs: 300_000, finished: 0, failed: 0, rate: null },
        active: { queued: 0, running: 0, waiting: 0 },
      },
      usageLogged: true,
      usage: { calls: 0, tokens: 0, costUsd: 0 },
      series: [bucket],
      errors: [],
      failures: [],
    };
    expect(isEmpty(stats)).toBe(true);
    expect(
      isEmpty({ ...stats, health: { ...stats.health, active: { queued: 0, running: 0, waiting: 1 } } }),
    ).toBe(false);
    expect(isEmpty({ ...stats, series: [{ ...bucket, calls: 1 }] })).toBe(false);
  });
});
