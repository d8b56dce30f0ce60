import { describe, expect, it } from 'vitest';
import { DAY_MS, periodStart, utcDay } from './periods.js';

describe('periodStart', () => {
  const at = (iso: string) => Date.parse(iso);

  it('starts a day at UTC midnight', () => {
    expect(periodStart('day', at('2026-11-18T10:00:00Z'))).toBe(at('2026-11-18T00:00:00Z'));
    expect(periodStart('day', at('2026-11-18T00:00:00Z'))).toBe(at('2026-11-18T00:00:00Z'));
    expect(periodStart('day', at('2026-11-18T23:59:59.999Z'))).toBe(at('2026-11-18T00:00:00Z'));
  });

  it('starts a week on Monday', () => {
    // Monday 16 November 2026 to Sunday 22 November.
    for (const day of ['16', '17', '18', '21', '22']) {
      expect(periodStart('week', at(`2026-11-${day}T12:00:00Z`)), day).toBe(at('2026-11-16T00:00:00Z'));
    }
    expect(periodStart('week', at('2026-11-23T00:00:00Z'))).toBe(at('2026-11-23T00:00:00Z'));
    // Across a month and a year.
    expect(periodStart('week', at('2027-01-01T08:00:00Z'))).toBe(at('2026-12-28T00:00:00Z'));
  });

  it('starts a month on the 1st', () => {
    expect(periodStart('month', at('2026-11-18T10:00:00Z'))).toBe(at('2026-11-01T00:00:00Z'));
    expect(periodStart('month', at('2026-12-31T23:59:59.999Z'))).toBe(at('2026-12-01T00:00:00Z'));
    expect(periodStart('month', at('2028-02-29T12:00:00Z'))).toBe(at('2028-02-01T00:00:00Z'));
  });

  it('starts total at the epoch', () => {
    expect(periodStart('total', at('2026-11-18T10:00:00Z'))).toBe(0);
  });

  it('ignores the local time zone', () => {
    // 23:30 UTC is already the next day east of UTC; the period is still the UTC one.
    expect(periodStart('day', at('2026-11-30T23:30:00Z'))).toBe(at('2026-11-30T00:00:00Z'));
    expect(periodStart('month', at('2026-11-30T23:30:00Z'))).toBe(at('2026-11-01T00:00:00Z'));
  });
});

describe('utcDay', () => {
  it('numbers UTC days from the epoch, rounding down before it too', () => {
    expect(utcDay(0)).toBe(0);
    expect(utcDay(DAY_MS - 1)).toBe(0);
    expect(utcDay(DAY_MS)).toBe(1);
    expect(utcDay(-1)).toBe(-1);
  });
});
