/**
 * The conformance tests of {@link Store.runStats}; part of {@link storeConformance}, which passes in
 * its helpers.
 * @module
 */
import { expect } from 'vitest';
import { DEFAULT_RETRY } from '../core/retry.js';
import type { Run, StepOutcome } from '../core/types.js';
import type { EventSuiteHelpers } from './conformance-events.js';
import type { RunStatsQuery, Store } from './port.js';

const MINUTE = 60_000;

const GRAPH = {
  workflow: 'stat',
  hasOutput: false,
  steps: [
    {
      id: 'a',
      kind: 'fn',
      needs: [],
      conditional: false,
      retry: { ...DEFAULT_RETRY, maxAttempts: 1 },
      effect: false,
      idempotent: false,
      compensable: false,
    },
  ],
};

const ok: StepOutcome = { type: 'succeeded', output: null };
const fail = (code: string): StepOutcome => ({
  type: 'failed',
  error: { code, message: `${code} happened`, retryable: false },
});

/** Nearest-rank percentile, written independently of the adapters' SQL. */
function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] ?? 0;
}

/** Registers the run statistics tests. */
export function statsConformance(h: EventSuiteHelpers): void {
  const { test, open, clock, drain } = h;

  async function openWithWorkflow(): Promise<Store> {
    const store = await open();
    await store.registerVersion({
      workflow: GRAPH.workflow,
      label: '1',
      hash: 'stat',
      source: 'spec',
      graph: GRAPH,
      definition: {},
    });
    return store;
  }

  /** Creates a run, lets `ms` pass, then runs its step to `outcome` (none: leaves it running). */
  async function runFor(store: Store, tenant: string, ms: number, outcome?: StepOutcome): Promise<string> {
    const { run } = await store.createRun({ workflow: GRAPH.workflow, input: null, tenant });
    clock().advance(ms);
    if (outcome) await drain(store, () => outcome);
    return run.id;
  }

  test('runStats: outcomes, durations, series, errors and failures of one tenant over a window', async () => {
    const store = await openWithWorkflow();
    const c = clock();
    await runFor(store, 'acme', 5, fail('OLD'));
    c.advance(1000);
    const since = c.t;
    const a = await runFor(store, 'acme', 100, ok);
    c.advance(MINUTE);
    const b = await runFor(store, 'acme', 300, ok);
    const f1 = await runFor(store, 'acme', 200, fail('BOOM'));
    const f2 = await runFor(store, 'acme', 50, fail('BOOM'));
    await runFor(store, 'other', 10, fail('BOOM'));
    c.t = since + 6 * MINUTE;
    const f3 = await runFor(store, 'acme', 400, fail('LATE'));
    const x = await runFor(store, 'acme', 10);
    c.t = since + 7 * MINUTE;
    await store.cancelRun(x, 'test');
    c.advance(1000);
    const live = await runFor(store, 'acme', 0);

    const query: RunStatsQuery = {
      tenant: 'acme',
      since,
      until: since + 10 * MINUTE,
      bucketMs: MINUTE,
      recentSince: since + 5 * MINUTE,
      failuresSince: since + MINUTE,
    };
    const stats = await store.runStats(query);
    const runs = (await Promise.all([a, b, f1, f2, f3, x, live].map((id) => store.getRun(id)))) as Run[];
    // Every adapter records when a run started (at its creation), or durations cannot be told.
    expect(runs.filter((r) => r.startedAt === undefined).map((r) => r.id)).toEqual([]);
    const finished = runs.filter((r) => r.finishedAt !== undefined);
    const durations = finished.map((r) => (r.finishedAt ?? 0) - (r.startedAt ?? 0));
    expect(stats).toMatchObject({ finished: 6, succeeded: 2, failed: 3, cancelled: 1 });
    expect(stats.recent).toEqual({ finished: 2, succeeded: 0, failed: 1, cancelled: 1 });
    expect(stats.durationMs).toEqual({ p50: nearestRank(durations, 50), p95: nearestRank(durations, 95) });
    expect(stats.active).toEqual({ queued: 0, running: 1, waiting: 0 });

    const bucketOf = (t: number) => Math.floor((t - since) / MINUTE);
    const expected = Array.from({ length: 10 }, (_, i) => ({
      at: since + i * MINUTE,
      started: runs.filter((r) => bucketOf(r.createdAt) === i).length,
      succeeded: runs.filter((r) => r.status === 'succeeded' && bucketOf(r.finishedAt ?? 0) === i).length,
      failed: runs.filter((r) => r.status === 'failed' && bucketOf(r.finishedAt ?? 0) === i).length,
    }));
    expect(stats.series).toEqual(expected);
    expect(stats.series.reduce((n, s) => n + s.started, 0)).toBe(7);

    expect(stats.errors).toEqual([
      { code: 'BOOM', count: 2, exampleRunId: f2 },
      { code: 'LATE', count: 1, exampleRunId: f3 },
    ]);
    expect(stats.failures).toEqual(
      [f3, f2, f1].map((id) => {
        const run = runs.find((r) => r.id === id);
        return {
          id,
          workflow: 'stat',
          error: { code: run?.error?.code, message: run?.error?.message },
          finishedAt: run?.finishedAt,
        };
      }),
    );
    expect(stats.failures.map((f) => f.error.code)).toEqual(['LATE', 'BOOM', 'BOOM']);

    const { tenant: _, ...everyTenant } = query;
    expect(await store.runStats(everyTenant)).toMatchObject({ finished: 7, failed: 4 });
    expect((await store.runStats({ ...query, limit: 1 })).failures.map((f) => f.id)).toEqual([f3]);
  });

  test('runStats of an empty window: zeros in every bucket, no durations', async () => {
    const store = await openWithWorkflow();
    const since = clock().t;
    const stats = await store.runStats({
      tenant: 'acme',
      since,
      until: since + 90 * MINUTE,
      bucketMs: 30 * MINUTE,
      recentSince: since,
      failuresSince: since,
    });
    expect(stats).toEqual({
      finished: 0,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
      recent: { finished: 0, succeeded: 0, failed: 0, cancelled: 0 },
      active: { queued: 0, running: 0, waiting: 0 },
      series: [0, 1, 2].map((i) => ({ at: since + i * 30 * MINUTE, started: 0, succeeded: 0, failed: 0 })),
      errors: [],
      failures: [],
    });
  });

  test('runStats refuses an empty window and more than 1,000 buckets', async () => {
    const store = await openWithWorkflow();
    const since = clock().t;
    const base = { since, until: since + MINUTE, bucketMs: 1000, recentSince: since, failuresSince: since };
    await expect(store.runStats({ ...base, until: since })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(store.runStats({ ...base, bucketMs: 10 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(store.runStats({ ...base, since: Number.NaN })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
}
