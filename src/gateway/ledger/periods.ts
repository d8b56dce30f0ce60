/**
 * Budget periods in UTC. A period starts at UTC midnight: a day at its own, a week on Monday, a month
 * on the 1st; `total` starts at the epoch. Spend is bucketed by UTC day, so these starts are exact.
 * @module
 */
import type { BudgetPeriod } from './port.js';

/** Milliseconds in a day. */
export const DAY_MS = 86_400_000;

/** The UTC day number (days since the epoch) of an instant: its spend bucket. */
export function utcDay(at: number): number {
  return Math.floor(at / DAY_MS);
}

/**
 * When the budget period containing `now` started (ms since the epoch, UTC).
 * @example
 * periodStart('week', Date.UTC(2026, 10, 21, 9)); // Date.UTC(2026, 10, 16): Monday 16 November 2026
 */
export function periodStart(period: BudgetPeriod, now: number): number {
  const dayStart = utcDay(now) * DAY_MS;
  switch (period) {
    case 'day':
      return dayStart;
    case 'week': {
      // getUTCDay() is 0 on Sunday; Monday starts the week.
      const sinceMonday = (new Date(dayStart).getUTCDay() + 6) % 7;
      return dayStart - sinceMonday * DAY_MS;
    }
    case 'month': {
      const d = new Date(dayStart);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
    case 'total':
      return 0;
  }
}
