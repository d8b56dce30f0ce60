import { z } from 'zod';
import type { WaitConfig, WaitPlan } from '../../core/definition.js';
import { BatonError } from '../../core/errors.js';
import { durationField, expressionField, strictFields } from '../fields.js';
import { addSpecIssue, describeValue } from '../issues.js';
import { defineSpecKind } from '../kind.js';

const MODES = ['duration', 'until', 'event'] as const;

const waitFields = z
  .object({
    /** Sleep this long. */
    duration: durationField().optional(),
    /** JSONata expression giving an ISO-8601 date or epoch milliseconds to sleep until. */
    until: expressionField().optional(),
    /** Wait for an event sent with this key (a JSONata expression giving a string). */
    event: strictFields(
      { key: expressionField(), timeout: durationField().optional() },
      'a wait event',
    ).optional(),
  })
  .superRefine(
    (step, ctx) => {
      const given = MODES.filter((mode) => step[mode] !== undefined);
      if (given.length === 1) return;
      const message =
        given.length === 0
          ? 'a wait step needs one of "duration", "until" or "event"'
          : `a wait step takes exactly one of "duration", "until" or "event", not ${given.map((m) => `"${m}"`).join(' and ')}`;
      addSpecIssue(ctx, 'INVALID_FIELD', message, given.length === 0 ? [] : [given[1] as string]);
    },
    { when: () => true },
  );

/**
 * `wait`: durable sleep (`duration`, `until`) or a wait for an external event by key.
 * @example
 * - id: wait-payment
 *   kind: wait
 *   event: { key: '"payment:" & $input.invoiceId', timeout: 3d }
 */
export const waitKind = defineSpecKind({
  kind: 'wait',
  description: 'sleeps, or waits for an external event by key',
  fields: waitFields,
  compile(step, env): WaitConfig {
    if (step.duration !== undefined) {
      const plan: WaitPlan = { sleepMs: env.duration(step.duration) };
      return { plan: () => ({ ...plan }) };
    }
    if (step.until !== undefined) {
      const until = env.expression(step.until, 'until');
      return {
        plan: async (ctx) => {
          const value = await until.evaluate(ctx);
          const valid =
            (typeof value === 'number' && Number.isFinite(value)) ||
            (typeof value === 'string' && !Number.isNaN(Date.parse(value)));
          if (!valid) {
            throw until.fail(`expected an ISO-8601 date or epoch milliseconds, got ${describeValue(value)}`);
          }
          return { until: value as string | number };
        },
      };
    }
    const event = step.event;
    if (event === undefined)
      throw new BatonError('INTERNAL', `wait step ${env.path} has no mode; validation requires one`);
    const key = env.expression(event.key, 'event.key');
    const timeoutMs = event.timeout === undefined ? undefined : env.duration(event.timeout);
    return {
      plan: async (ctx) => {
        const value = await key.evaluate(ctx);
        if (
          !(
            (typeof value === 'string' && value !== '') ||
            (typeof value === 'number' && Number.isFinite(value))
          )
        ) {
          throw key.fail(`expected a non-empty string event key, got ${describeValue(value)}`);
        }
        return timeoutMs === undefined ? { event: String(value) } : { event: String(value), timeoutMs };
      },
    };
  },
});
