/**
 * A run submitted over the API with a W3C `traceparent` joins the caller's trace: its trace id is the
 * caller's, and its `invoke_workflow` span is a child of the caller's span. A malformed header starts a
 * trace of the run's own.
 */
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { workflow } from '../../src/core/builder.js';
import { createApiApp } from '../../src/server/app/index.js';
import type { ServerContext } from '../../src/server/context.js';
import { openSqliteControlStore } from '../../src/server/control/index.js';
import { startFakeOpenAI } from '../gateway/fakes/index.js';
import { tempDir } from '../temp-dir.js';
import { startTracedEngine } from './traced-engine.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it("puts a run submitted with traceparent in the caller's trace, under the caller's span", async () => {
  const up = await startFakeOpenAI();
  const engine = await startTracedEngine(up);
  const dir = tempDir();
  const control = await openSqliteControlStore({ path: join(dir.dir, 'control.db') });
  cleanups.push(
    () => up.close(),
    () => engine.close(),
    dir.cleanup,
    () => control.close(),
  );
  await engine.baton.register(
    workflow({ name: 'hello', version: '1', input: z.object({}) })
      .step('say', { run: () => 'hi' })
      .build(),
  );
  const ctx: ServerContext = {
    baton: engine.baton,
    control,
    spans: engine.spans,
    now: Date.now,
    triggers: { fire: async () => [] },
  };
  const app = createApiApp(ctx, { rateLimit: false, logError: () => {} });
  const { secret } = await control.createKey({ tenant: 'acme', name: 'op', roles: ['operator'] });
  const submit = (traceparent: string) =>
    app.request('/v1/runs', {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', traceparent },
      body: JSON.stringify({ workflow: 'hello', input: {} }),
    });

  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const callerSpan = '00f067aa0ba902b7';
  const res = await submit(`00-${traceId}-${callerSpan}-01`);
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  const run = await engine.baton.waitForRun(id);
  expect(run.traceId).toBe(traceId);
  const spans = await engine.trace(run);
  const runSpan = spans.find((s) => s.name === 'invoke_workflow hello');
  expect(runSpan?.parentSpanId).toBe(callerSpan);
  expect(spans.find((s) => s.stepId === 'say')?.parentSpanId).toBe(runSpan?.spanId);

  // The API reads the run's spans back: its own subtree only, never the caller's span or another tenant.
  const read = async (key: string) =>
    app.request(`/v1/runs/${id}/spans`, { headers: { authorization: `Bearer ${key}` } });
  const listed = (await (await read(secret)).json()) as { data: { spanId: string; name: string }[] };
  expect(listed.data[0]?.name).toBe('invoke_workflow hello');
  expect(listed.data.map((s) => s.spanId).sort()).toEqual(
    spans
      .filter((s) => s.spanId === runSpan?.spanId || s.parentSpanId === runSpan?.spanId)
      .map((s) => s.spanId)
      .sort(),
  );
  const stranger = await control.createKey({ tenant: 'globex', name: 'viewer', roles: ['viewer'] });
  expect((await read(stranger.secret)).status).toBe(404);

  // A malformed header is ignored: the run gets a trace of its own.
  const other = (await (await submit('00-zz-yy-01')).json()) as { id: string };
  const own = await engine.baton.waitForRun(other.id);
  expect(own.traceId).not.toBe(traceId);
  expect(own.tags.some((t) => t.startsWith('baton.parent-span:'))).toBe(false);
});
