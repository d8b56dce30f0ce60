/**
 * The cron scheduler: starts the runs of cron triggers when they fall due.
 *
 * Durability: each fire is submitted *before* its trigger is claimed, with the idempotency key
 * `trigger:<id>:<due time>`. A crash after the submit and before the claim re-submits the same key on
 * the next tick, which returns the run already created: no fire is lost and none is doubled. (Claiming
 * first would lose the fire on such a crash, since the claim has already moved the schedule on.) The
 * claim then moves each trigger to its next time, once across all servers, and anything it claimed that
 * the first pass had not seen is submitted with the same key. Two servers ticking together submit the
 * same key, so a due time starts one run.
 *
 * Missed fires: a trigger whose due time passed while no server ran fires once, for its oldest missed
 * time, and then resumes at its first time after now; a burst of catch-up runs is never started.
 * @module
 */

import type { ServerContext } from '../../context.js';
import type { Trigger } from '../../control/port.js';
import { startTicker } from '../ticker.js';
import { nextFireTime } from './cron-schedule.js';

/** Options of {@link startCronService}. */
export interface CronServiceOptions {
  /** Pause between ticks. @defaultValue 1000 */
  intervalMs?: number;
  /** Clock of the schedule (epoch ms). @defaultValue ctx.now */
  now?: () => number;
  /** Told of a fire that could not start (unknown workflow, invalid input) or a failed tick. @defaultValue ignore */
  onError?: (error: unknown) => void;
}

/** A running cron scheduler. */
export interface CronService {
  /** Fires what is due now, after any tick in progress. */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/** The idempotency key of one fire of a trigger. */
export function cronFireKey(triggerId: string, dueAt: number): string {
  return `trigger:${triggerId}:${dueAt}`;
}

/**
 * Starts the cron scheduler of a server. Safe to run in many processes at once.
 * @example
 * const cron = startCronService(ctx, { intervalMs: 1000 });
 */
export function startCronService(ctx: ServerContext, options: CronServiceOptions = {}): CronService {
  const now = options.now ?? ctx.now;
  const onError = options.onError ?? (() => {});

  const fire = async (trigger: Trigger, dueAt: number): Promise<void> => {
    try {
      await ctx.baton.submit(trigger.workflow, trigger.input, {
        tenant: trigger.tenant,
        idempotencyKey: cronFireKey(trigger.id, dueAt),
        tags: [`trigger:${trigger.id}`],
      });
    } catch (error) {
      onError(error);
    }
  };

  const tick = async (): Promise<void> => {
    const at = now();
    const fired = new Set<string>();
    const due = (await ctx.control.listTriggers({ type: 'cron' })).filter(
      (t) => t.enabled && t.nextFireAt !== undefined && t.nextFireAt <= at,
    );
    for (const trigger of due) {
      const dueAt = trigger.nextFireAt ?? at;
      await fire(trigger, dueAt);
      fired.add(cronFireKey(trigger.id, dueAt));
    }
    const claimed = await ctx.control.claimDueCron(at, (trigger) => {
      try {
        return trigger.schedule === undefined
          ? undefined
          : nextFireTime(trigger.schedule, trigger.timezone, at);
      } catch (error) {
        // A schedule that no longer parses stops firing rather than failing every tick.
        onError(error);
        return undefined;
      }
    });
    for (const trigger of claimed) {
      const dueAt = trigger.lastFiredAt ?? at;
      if (!fired.has(cronFireKey(trigger.id, dueAt))) await fire(trigger, dueAt);
    }
  };

  return startTicker(options.intervalMs ?? 1000, tick, onError);
}
