/**
 * `GET /v1/runs/{id}/events`: a run's history as Server-Sent Events. It replays the history after
 * `Last-Event-ID` (or `?after=`), then polls the store for new events until the run is terminal, and
 * ends with an `end` event carrying the final status. It reads only the store, so it follows runs
 * executed by any process.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import { TERMINAL_RUN_STATUSES } from '../../../core/types.js';
import type { ServerContext } from '../../context.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import { type ErrorLogger, toErrorResponse } from '../errors.js';
import { ERROR_RESPONSES, Id, queryInt } from '../schemas.js';
import { runOfTenant } from '../scope.js';

/** Events read per store query while replaying. */
const BATCH = 500;

const stream = createRoute({
  operationId: 'runs.stream',
  method: 'get',
  path: '/v1/runs/{id}/events',
  tags: ['Runs'],
  summary: "A run's events as Server-Sent Events, live until the run ends",
  description:
    'Each message has `id` = the history seq, `event` = the history event type and `data` = the event as JSON. ' +
    'Reconnect with `Last-Event-ID` (or `?after=<seq>`) to resume. The stream ends with an `end` event ' +
    '(`{ runId, status }`) once the run is terminal.',
  middleware: [allow('runs.stream')] as const,
  request: {
    params: z.object({ id: Id.openapi({ param: { name: 'id', in: 'path' } }) }),
    query: z.strictObject({ after: queryInt(Number.MAX_SAFE_INTEGER).optional() }),
    headers: z.object({
      'last-event-id': z
        .string()
        .regex(/^\d{1,15}$/)
        .optional(),
    }),
  },
  responses: {
    200: { description: 'The event stream', content: { 'text/event-stream': { schema: z.string() } } },
    ...ERROR_RESPONSES,
  },
});

/** Timing of the run event stream. */
export interface RunStreamTiming {
  /** How often the stream looks for new events. */
  pollMs: number;
  /** A comment line is sent after this long without a message, so proxies keep the connection. */
  heartbeatMs: number;
}

/** Adds the run event stream. */
export function runStreamRoute(
  app: OpenAPIHono<ApiEnv>,
  ctx: ServerContext,
  timing: RunStreamTiming,
  log: ErrorLogger,
): void {
  app.openapi(stream, async (c) => {
    const run = await runOfTenant(ctx, c.get('caller'), c.req.valid('param').id);
    const lastEventId = c.req.valid('header')['last-event-id'];
    const after = lastEventId === undefined ? c.req.valid('query').after : Number(lastEventId);
    const where = { method: c.req.method, path: c.req.path };

    return streamSSE(c, async (sse) => {
      // Errors are answered here: Hono's own handler would send the raw message of any error.
      try {
        await follow(ctx, run.id, after, sse, timing);
      } catch (err) {
        const { status, body } = toErrorResponse(err);
        if (status >= 500) log(err, where);
        await sse.writeSSE({ event: 'error', data: JSON.stringify(body) });
      }
    });
  });
}

/** Writes the run's events after `after` until the run is terminal or the client goes away. */
async function follow(
  ctx: ServerContext,
  runId: string,
  after: number | undefined,
  sse: SSEStreamingApi,
  timing: RunStreamTiming,
): Promise<void> {
  const store = ctx.baton.store;
  let closed = false;
  let lastWrite = Date.now();
  sse.onAbort(() => {
    closed = true;
  });
  const drain = async () => {
    for (;;) {
      const events = await store.getHistory(runId, {
        limit: BATCH,
        ...(after === undefined ? {} : { afterSeq: after }),
      });
      for (const event of events) {
        await sse.writeSSE({ id: String(event.seq), event: event.type, data: JSON.stringify(event) });
        after = event.seq;
        lastWrite = Date.now();
      }
      if (events.length < BATCH || closed) return;
    }
  };
  while (!closed) {
    await drain();
    const current = await store.getRun(runId);
    if (!current || TERMINAL_RUN_STATUSES.has(current.status)) {
      // The terminal status commits with the run's last events: one more read gets them all.
      await drain();
      await sse.writeSSE({
        event: 'end',
        data: JSON.stringify({ runId, status: current?.status ?? 'deleted' }),
      });
      return;
    }
    if (Date.now() - lastWrite >= timing.heartbeatMs) {
      await sse.write(': keep-alive\n\n');
      lastWrite = Date.now();
    }
    await sse.sleep(timing.pollMs);
  }
}
