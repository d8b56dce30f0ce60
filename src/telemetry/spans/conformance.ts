/**
 * The conformance suite of the {@link SpanStore} port. Every adapter runs it unchanged; a skip must
 * state its reason. What only one adapter shows (its tables, its migrations) stays in its test file.
 * @example
 * spanStoreConformance('my-adapter', async () => {
 *   const db = await makeEmptyDatabase();
 *   return { open: (options) => openMySpanStore({ ...options, url: db.url }), cleanup: db.drop };
 * });
 * @module
 */
import { describe, expect } from 'vitest';
import { type AdapterStorage, adapterHarness } from '../../testing/adapter-conformance.js';
import type { ConformanceSkip } from '../../testing/skippable-test.js';
import type { SpanStore, SpanStoreOptions, StoredSpan } from './port.js';

/** Fresh, empty storage for one test. */
export type SpanStoreStorage = AdapterStorage<SpanStore, SpanStoreOptions>;

/** Wednesday 18 November 2026, 10:00 UTC. */
const T0 = Date.UTC(2026, 10, 18, 10);
const TRACE = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);

function span(id: number, over: Partial<StoredSpan> = {}): StoredSpan {
  return {
    traceId: TRACE,
    spanId: id.toString(16).padStart(16, '0'),
    name: `span ${id}`,
    kind: 'internal',
    startTime: T0 + id + 0.25,
    endTime: T0 + id + 10.5,
    status: { code: 'ok' },
    attributes: { 'baton.n': id },
    ...over,
  };
}

/** Runs the SpanStore conformance suite against the adapter whose fresh storage `storage` makes. */
export function spanStoreConformance(
  name: string,
  storage: () => Promise<SpanStoreStorage>,
  options: { skip?: ConformanceSkip[] } = {},
): void {
  describe(`SpanStore conformance: ${name}`, () => {
    const { test, open } = adapterHarness(storage, options.skip, T0);

    test('spans come back whole, by trace, in start order, fractional times kept', async () => {
      const store = await open();
      const root = span(1, {
        runId: 'run_1',
        kind: 'internal',
        attributes: { 'gen_ai.operation.name': 'invoke_workflow', nested: { a: [1, 'x'] }, ok: true },
      });
      const child = span(3, {
        parentSpanId: root.spanId,
        kind: 'client',
        runId: 'run_1',
        stepId: 'draft',
        status: { code: 'error', message: 'boom' },
      });
      const early = span(2, { parentSpanId: root.spanId, runId: 'run_1', stepId: 'plan' });
      await store.appendSpans([root, child]);
      await store.appendSpans([early, span(4, { traceId: OTHER })]);
      expect(await store.listSpans({ traceId: TRACE })).toEqual([root, early, child]);
      expect(await store.listSpans({ traceId: OTHER })).toHaveLength(1);
    });

    test('spans of a run, across traces, and none for an unknown run', async () => {
      const store = await open();
      await store.appendSpans([
        span(1, { runId: 'run_1' }),
        span(2, { runId: 'run_2' }),
        span(3, { runId: 'run_1', traceId: OTHER }),
      ]);
      const spans = await store.listSpans({ runId: 'run_1' });
      expect(spans.map((s) => s.spanId)).toEqual([span(1).spanId, span(3).spanId]);
      expect(await store.listSpans({ runId: 'run_9' })).toEqual([]);
    });

    test('a span appended twice is stored once, the last version kept', async () => {
      const store = await open();
      await store.appendSpans([span(1)]);
      await store.appendSpans([span(1, { name: 'renamed' }), span(1, { name: 'last' })]);
      const spans = await store.listSpans({ traceId: TRACE });
      expect(spans.map((s) => s.name)).toEqual(['last']);
    });

    test('a store opened again sees what another wrote', async () => {
      const first = await open();
      await first.appendSpans([span(1), span(2)]);
      const second = await open(true);
      expect(await second.listSpans({ traceId: TRACE })).toHaveLength(2);
    });

    test('pruning deletes spans that ended before the time, and counts them', async () => {
      const store = await open();
      await store.appendSpans([span(1), span(2), span(3)]);
      expect(await store.pruneBefore(T0 + 12.6)).toBe(2);
      expect((await store.listSpans({ traceId: TRACE })).map((s) => s.name)).toEqual(['span 3']);
    });

    test('refuses malformed ids and empty queries, writing nothing', async () => {
      const store = await open();
      await expect(store.appendSpans([span(1), span(2, { traceId: 'xyz' })])).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      await expect(store.appendSpans([span(1, { parentSpanId: 'nope' })])).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      await expect(store.listSpans({ runId: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(await store.listSpans({ traceId: TRACE })).toEqual([]);
    });

    test('a closed store refuses calls', async () => {
      const store = await open();
      await store.close();
      await expect(store.listSpans({ traceId: TRACE })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    });
  });
}
