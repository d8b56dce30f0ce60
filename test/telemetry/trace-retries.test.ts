/**
 * Trace continuity across retries: every attempt of a failing step is a span of the run's trace,
 * parented to the same run span, with its own attempt number and the failure on the failed ones.
 */
import { expect, it } from 'vitest';
import { z } from 'zod';
import { workflow } from '../../src/core/builder.js';
import { attemptSpanId, runSpanId } from '../../src/telemetry/tracing/ids.js';
import { tracedEngineFixture } from './traced-engine.js';

const fixture = tracedEngineFixture();

it('parents every attempt of a retried step to the same run span, in one trace', async () => {
  const engine = await fixture.start();
  let calls = 0;
  await engine.baton.register(
    workflow({ name: 'flaky', version: '1', input: z.object({}) })
      .step('fetch', {
        retry: { maxAttempts: 3, initialDelayMs: 1, jitter: 0 },
        run: () => {
          calls += 1;
          if (calls < 3) throw new Error(`upstream down (${calls})`);
          return 'ok';
        },
      })
      .build(),
  );
  const run = await engine.baton.waitForRun((await engine.baton.submit('flaky', {})).id);
  expect(run.status).toBe('succeeded');
  const spans = await engine.trace(run);
  const attempts = spans.filter((s) => s.name === 'step fetch');
  expect(attempts.map((s) => s.attributes['baton.attempt'])).toEqual([1, 2, 3]);
  expect(attempts.map((s) => s.spanId)).toEqual(
    [1, 2, 3].map((attempt) =>
      attemptSpanId({ runId: run.id, kind: 'step', stepId: 'fetch', item: -1, attempt }),
    ),
  );
  expect(new Set(attempts.map((s) => s.parentSpanId))).toEqual(new Set([runSpanId(run.id)]));
  expect(attempts.map((s) => s.status)).toEqual([
    { code: 'error', message: 'upstream down (1)' },
    { code: 'error', message: 'upstream down (2)' },
    { code: 'ok' },
  ]);
  expect(attempts[0]?.attributes).toMatchObject({
    'baton.attempt.status': 'failed',
    'error.type': expect.any(String),
  });
  expect(spans.every((s) => s.traceId === run.traceId)).toBe(true);
  const root = spans.find((s) => s.spanId === runSpanId(run.id));
  expect(root).toMatchObject({ name: 'invoke_workflow flaky', status: { code: 'ok' } });
  expect(root?.parentSpanId).toBeUndefined();
});

it('records a failed run span with its error', async () => {
  const engine = await fixture.start();
  await engine.baton.register(
    workflow({ name: 'doomed', version: '1', input: z.object({}) })
      .step('boom', {
        retry: { maxAttempts: 1 },
        run: () => {
          throw new Error('no way');
        },
      })
      .build(),
  );
  const run = await engine.baton.waitForRun((await engine.baton.submit('doomed', {})).id);
  expect(run.status).toBe('failed');
  const spans = await engine.trace(run);
  expect(spans.find((s) => s.spanId === runSpanId(run.id))).toMatchObject({
    name: 'invoke_workflow doomed',
    status: { code: 'error' },
    attributes: { 'baton.run.status': 'failed', 'error.type': run.error?.code },
  });
});
