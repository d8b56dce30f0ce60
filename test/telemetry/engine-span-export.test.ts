/**
 * Exporters other than the span store (OTLP, a test's exporter) receive the run and attempt spans as
 * they end, the same spans `readRunTrace` derives from the engine's store when a trace is read.
 */
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { workflow } from '../../src/core/builder.js';
import { Baton } from '../../src/runtime/baton.js';
import { readRunTrace } from '../../src/telemetry/tracing/engine-spans.js';
import { createTracing } from '../../src/telemetry/tracing/tracing.js';
import { tempDir } from '../temp-dir.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('exports every run and attempt span, with the ids and parents of the derived trace', async () => {
  const { dir, cleanup } = tempDir('baton-export-');
  cleanups.push(cleanup);
  const exporter = new InMemorySpanExporter();
  const tracing = createTracing({ exporters: [exporter], flushIntervalMs: 10 });
  const baton = await Baton.open({ dataDir: dir, tracing });
  cleanups.push(async () => {
    await baton.close();
    await tracing.shutdown();
  });
  let calls = 0;
  await baton.register(
    workflow({ name: 'exported', version: '1', input: z.object({}) })
      .step('flaky', {
        retry: { maxAttempts: 2, initialDelayMs: 1, jitter: 0 },
        run: () => {
          calls += 1;
          if (calls === 1) throw new Error('once');
          return 'ok';
        },
      })
      .step('after', { needs: ['flaky'], run: () => 'done' })
      .build(),
  );
  baton.worker({ pollMs: 10 });
  const run = await baton.waitForRun((await baton.submit('exported', {})).id);
  expect(run.status).toBe('succeeded');
  await tracing.flush();

  const exported = exporter.getFinishedSpans().map((s) => ({
    name: s.name,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId,
    status: s.status.code,
  }));
  const derived = (await readRunTrace({ store: baton.store }, run)).map((s) => ({
    name: s.name,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
  }));
  const byId = (a: { spanId: string }, b: { spanId: string }) => a.spanId.localeCompare(b.spanId);
  expect(exported.map(({ status: _, ...s }) => s).sort(byId)).toEqual([...derived].sort(byId));
  expect(exported.map((s) => s.name).sort()).toEqual([
    'invoke_workflow exported',
    'step after',
    'step flaky',
    'step flaky',
  ]);
});
