/**
 * Cron schedules of triggers, computed with croner: 5 fields (minute precision) or 6 (seconds first),
 * in an IANA time zone.
 * @module
 */
import { Cron } from 'croner';
import { BatonError } from '../../../core/errors.js';

/**
 * The first fire time of `schedule` strictly after `after` (epoch ms), or undefined when it never fires
 * again. Throws `INVALID_ARGUMENT` for a malformed expression or an unknown time zone.
 * @example
 * nextFireTime('0 9 * * 1-5', 'Europe/Paris', Date.now()) // next weekday, 09:00 Paris time
 */
export function nextFireTime(
  schedule: string,
  timezone: string | undefined,
  after: number,
): number | undefined {
  const zone = timezone ?? 'UTC';
  let cron: Cron | undefined;
  try {
    cron = new Cron(schedule, { timezone: zone, mode: '5-or-6-parts', paused: true });
    // croner checks the time zone only when it computes a date.
    return cron.nextRun(new Date(after))?.getTime();
  } catch (cause) {
    throw new BatonError(
      'INVALID_ARGUMENT',
      `cron schedule "${schedule}" in time zone "${zone}" is not valid: ${(cause as Error).message}`,
      {
        hint: 'Use 5 fields (minute hour day month weekday), or 6 with seconds first, and an IANA time zone such as Europe/Paris',
        cause,
      },
    );
  } finally {
    cron?.stop();
  }
}
