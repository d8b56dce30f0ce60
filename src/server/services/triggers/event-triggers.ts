/**
 * Event triggers: `POST /v1/events` publishes an event, then asks these to start the runs of the
 * triggers whose `eventType` is a prefix of the event's key, in the caller's tenant only.
 *
 * Input: a trigger whose `input` is an object starts its run with `{ ...input, event: { key, payload } }`;
 * with no input, `{ event: { key, payload } }`; any other input (an array, a string) is passed as it is.
 *
 * Idempotency: with an `eventId` (the route passes the request's `Idempotency-Key`, or the event's own
 * id), each run gets the key `trigger:<trigger id>:event:<event id>`, so a retried publish starts
 * nothing new. Without one, every publish starts new runs: a hash of the key and payload would merge two
 * genuine events that happen to be equal (a `{}` heartbeat), and mixing in the time defeats the point.
 * @module
 */

import type { EventTriggers, ServerContext } from '../../context.js';
import type { Trigger } from '../../control/port.js';

/** Options of {@link createEventTriggers}. */
export interface EventTriggerOptions {
  /** Told of a trigger whose run could not start (unknown workflow, invalid input). @defaultValue ignore */
  onError?: (error: unknown, trigger: Trigger) => void;
}

/** {@link EventTriggers}, with an optional event id that makes firing idempotent. */
export interface IdempotentEventTriggers extends EventTriggers {
  /**
   * Starts the runs of the caller's enabled triggers matching `key`; returns the ids of the runs started
   * (or found, for a repeated `eventId`). A trigger whose run cannot start is reported to `onError` and
   * skipped; the others still start.
   */
  fire(key: string, payload: unknown, tenant: string, eventId?: string): Promise<string[]>;
}

/**
 * The event triggers of a server.
 * @example
 * const triggers = createEventTriggers(ctx);
 * await triggers.fire('invoice.received', { id: 'inv_1' }, 'acme', requestIdempotencyKey);
 */
export function createEventTriggers(
  ctx: Pick<ServerContext, 'baton' | 'control'>,
  options: EventTriggerOptions = {},
): IdempotentEventTriggers {
  return {
    async fire(key, payload, tenant, eventId) {
      const triggers = (await ctx.control.eventTriggersFor(key)).filter(
        (t) => t.tenant === tenant && t.enabled && t.type === 'event',
      );
      const started = await Promise.allSettled(
        triggers.map((trigger) =>
          ctx.baton.submit(trigger.workflow, eventInput(trigger.input, key, payload), {
            tenant,
            tags: [`trigger:${trigger.id}`],
            ...(eventId === undefined ? {} : { idempotencyKey: `trigger:${trigger.id}:event:${eventId}` }),
          }),
        ),
      );
      const ids: string[] = [];
      started.forEach((result, i) => {
        if (result.status === 'fulfilled') ids.push(result.value.id);
        else options.onError?.(result.reason, triggers[i] as Trigger);
      });
      return ids;
    },
  };
}

function eventInput(input: unknown, key: string, payload: unknown): unknown {
  const event = { key, payload };
  if (input === undefined || input === null) return { event };
  if (typeof input === 'object' && !Array.isArray(input)) return { ...(input as object), event };
  return input;
}
