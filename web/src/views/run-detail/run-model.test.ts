// The fixtures are real runs: test/dashboard/run-model-fixtures.ts runs each workflow through the engine
// on a fresh SQLite store and returns the history the engine wrote, as the API serves it.
import { describe, expect, it } from 'vitest';
import type { WorkflowGraph } from '../../components/graph/dag-types';
import {
  applyEvent,
  applyEvents,
  buildRunModel,
  dagOfRun,
  executionMs,
  FINALIZE_ROW,
  queueDelayMs,
  type RunHistoryEvent,
  type RunModel,
  type RunWithSteps,
  rowOf,
  visibleRows,
} from './run-model';

interface Captured {
  run: RunWithSteps;
  history: RunHistoryEvent[];
  graph: WorkflowGraph;
  attempts: {
    stepId: string;
    kind: string;
    item: number;
    attempt: number;
    workerId: string;
    status: string;
    startedAt: number;
  }[];
}
interface Fixtures {
  pipeline(): Promise<Captured>;
  failedMap(): Promise<Captured>;
  approval(): Promise<{ waiting: Captured; done: Captured }>;
  saga(): Promise<Captured>;
}

// A path in a variable: the fixtures run the engine (Node code), which `tsc -p web` must not follow.
const FIXTURES = '../../../../test/dashboard/run-model-fixtures.ts';
const fixtures = (
  (await import(/* @vite-ignore */ FIXTURES)) as { useRunFixtures(): Fixtures }
).useRunFixtures();

/** A run's model compared without the parts that differ by construction (revision, shared index). */
function plain(model: RunModel) {
  const { revision: _r, index: _i, ...rest } = model;
  return JSON.parse(JSON.stringify(rest));
}

describe('run model', () => {
  it('turns a real run into one row per step, each retry its own bar, items grouped under their map step', async () => {
    const { run, history, graph, attempts } = await fixtures.pipeline();
    expect(run.status).toBe('succeeded');
    const model = buildRunModel({ run, history, graph });

    expect(model.status).toBe('succeeded');
    expect(model.steps.map((r) => r.stepId)).toEqual(['fetch', 'enrich', 'score', 'report', FINALIZE_ROW]);
    expect(model.steps.map((r) => r.status)).toEqual(Array(5).fill('succeeded'));
    expect(model.lastSeq).toBe(history.at(-1)?.seq);
    expect(model.span.start).toBe(run.createdAt);
    expect(model.span.end).toBe(run.finishedAt);

    const enrich = rowOf(model, 'enrich');
    expect(enrich?.attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'succeeded'],
    ]);
    expect(enrich?.attempts[0]?.error?.message).toBe('upstream hiccup 1');
    // A retry waits out its backoff: its queue delay covers at least the delay the engine chose.
    const retries = history.filter((e) => e.type === 'retry-scheduled' && e.stepId === 'enrich');
    for (const [i, r] of retries.entries()) {
      const bar = enrich?.attempts[i + 1];
      expect(bar?.scheduledAt).toBe(r.at);
      expect(bar?.readyAt).toBe(r.at + (r.data as { delayMs: number }).delayMs);
      expect(queueDelayMs(bar!)).toBeGreaterThanOrEqual((r.data as { delayMs: number }).delayMs);
    }

    const group = model.groups.score!;
    expect(group.total).toBe(40);
    expect(group.counts).toMatchObject({ succeeded: 40 });
    expect(Object.values(group.counts).reduce((a, b) => a + (b ?? 0), 0)).toBe(40);
    expect(rowOf(model, 'score#7')?.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    expect(rowOf(model, 'score#7')?.attempts[0]?.error?.code).toBeTruthy();

    // Every attempt the store recorded is a bar with the same start and outcome; nothing else is.
    const bars = [...model.steps, ...group.items].flatMap((row) => row.attempts.map((a) => ({ row, a })));
    const runAttempts = attempts.filter((a) => a.kind === 'step' || a.kind === 'item');
    expect(bars.filter(({ a }) => a.kind === 'step' || a.kind === 'item')).toHaveLength(runAttempts.length);
    for (const rec of runAttempts) {
      const key = rec.item >= 0 ? `${rec.stepId}#${rec.item}` : rec.stepId;
      const bar = rowOf(model, key)?.attempts.find((a) => a.attempt === rec.attempt);
      expect(bar, key).toBeDefined();
      expect(bar?.startedAt).toBe(rec.startedAt);
      expect(bar?.status).toBe(rec.status);
      expect(bar?.workerId).toBe(rec.workerId);
    }
    for (const { a } of bars) {
      expect(a.startedAt).toBeGreaterThanOrEqual(a.scheduledAt);
      expect(a.finishedAt).toBeGreaterThanOrEqual(a.startedAt!);
      expect(executionMs(a)).toBeGreaterThanOrEqual(0);
    }
    // With concurrency 4, item k > 3 is queued when an earlier item settles, not at fan-out.
    const expanded = history.find((e) => e.type === 'map-expanded')!;
    expect(rowOf(model, 'score#0')?.scheduledAt).toBe(expanded.at);
    const settles = history.filter((e) => e.type === 'item-succeeded' || e.type === 'item-failed');
    expect(rowOf(model, 'score#4')?.scheduledAt).toBe(settles[0]?.at);
    expect(rowOf(model, 'score#39')?.scheduledAt).toBe(settles[35]?.at);

    // The run's output is computed by a finalize task: the output row, after the steps.
    const out = rowOf(model, FINALIZE_ROW);
    expect(out?.attempts.map((a) => a.status)).toEqual(['succeeded']);

    const dag = dagOfRun(model);
    expect(dag.nodes.map((n) => [n.id, n.status])).toEqual([
      ['fetch', 'succeeded'],
      ['enrich', 'succeeded'],
      ['score', 'succeeded'],
      ['report', 'succeeded'],
    ]);
    expect(dag.nodes.find((n) => n.id === 'score')?.counts).toEqual({ succeeded: 40 });
    expect(dag.edges).toEqual([
      { from: 'fetch', to: 'enrich' },
      { from: 'enrich', to: 'score' },
      { from: 'score', to: 'report' },
    ]);
    expect(model.steps.at(-1)?.key).toBe(FINALIZE_ROW);
    expect(visibleRows(model, new Set())).toHaveLength(5);
    expect(visibleRows(model, new Set(['score']))).toHaveLength(45);
    expect(visibleRows(model, new Set(['score']))[3]?.key).toBe('score#0');
  });

  it('applies live events one by one to the same model a full build gives, copying only what they touch', async () => {
    const { run, history, graph } = await fixtures.pipeline();
    const full = buildRunModel({ run, history, graph });

    // The page builds from the history it read while the run was at an early point, then follows the stream.
    const cut = history.findIndex((e) => e.type === 'map-expanded') + 3;
    const early = { ...run, status: 'running', steps: [] as RunWithSteps['steps'] };
    delete (early as Partial<RunWithSteps>).finishedAt;
    let model = buildRunModel({ run: early, history: history.slice(0, cut), graph });
    expect(model.status).toBe('running');
    expect(rowOf(model, 'score')?.status).toBe('running');
    expect(rowOf(model, 'report')?.status).toBe('pending');
    const start = model;
    const before = JSON.stringify(plain(start));
    for (const e of history.slice(cut)) {
      const prev = model;
      model = applyEvent(model, e);
      expect(model.revision).toBe(prev.revision + 1);
      // A row the event is not about keeps its identity (the timeline re-renders only what changed).
      if (e.stepId !== 'fetch') expect(rowOf(model, 'fetch')).toBe(rowOf(prev, 'fetch'));
      if (e.item !== undefined && e.item !== 0 && e.item !== 4) {
        expect(rowOf(model, 'score#0')).toBe(rowOf(prev, 'score#0'));
      }
    }
    expect(plain(model)).toEqual(plain(full));
    // The model the page started from is unchanged: React may still hold it.
    expect(JSON.stringify(plain(start))).toBe(before);
    // Replayed events (a reconnect resumes a little early) change nothing.
    expect(applyEvents(model, history.slice(-5))).toBe(model);
  });

  it('a failed map: the failing item carries its error, items still queued or running are cancelled', async () => {
    const { run, history, graph } = await fixtures.failedMap();
    expect(run.status).toBe('failed');
    const model = buildRunModel({ run, history, graph });
    expect(model.status).toBe('failed');
    expect(rowOf(model, 'm')?.status).toBe('failed');
    expect(rowOf(model, 'm')?.error?.code).toBe('MAP_ITEM_FAILED');
    expect(rowOf(model, 'after')?.status).toBe('pending');
    expect(rowOf(model, 'm#4')?.status).toBe('failed');
    expect(rowOf(model, 'm#4')?.error?.message).toBe('four is bad');
    const counts = model.groups.m!.counts;
    expect(counts.failed).toBe(1);
    expect(counts.pending ?? 0).toBe(0);
    expect((counts.succeeded ?? 0) + (counts.cancelled ?? 0)).toBe(29);
    expect(rowOf(model, 'm#29')?.status).toBe('cancelled');
    for (const item of model.groups.m!.items) {
      for (const a of item.attempts) expect(a.status).not.toMatch(/^(running|scheduled)$/);
    }
  });

  it('an approval: the step waits (a wait span from its request to the decision), then settles', async () => {
    const { waiting, done } = await fixtures.approval();
    let model = buildRunModel(waiting);
    expect(model.status).toBe('waiting');
    const ok = rowOf(model, 'ok');
    expect(ok?.status).toBe('waiting');
    expect(ok?.waits).toHaveLength(1);
    expect(ok?.waits?.[0]).toMatchObject({ for: 'approval' });
    expect(ok?.waits?.[0]?.to).toBeUndefined();
    expect(ok?.attempts.map((a) => a.status)).toEqual(['succeeded']);

    model = applyEvents(
      model,
      done.history.filter((e) => e.seq > model.lastSeq),
    );
    expect(plain(model)).toEqual(plain(buildRunModel(done)));
    expect(model.status).toBe('succeeded');
    expect(rowOf(model, 'ok')?.waits?.[0]?.to).toBe(
      done.history.find((e) => e.type === 'approval-decided')?.at,
    );
    expect(rowOf(model, 'big')?.status).toBe('skipped');
    expect(rowOf(model, 'big')?.skipReason).toMatch(/did not choose/);
    expect(rowOf(model, 'big')?.attempts).toEqual([]);
    expect(rowOf(model, 'small')?.status).toBe('succeeded');
  });

  it('compensations are bars of their step; a failing effect is not retried', async () => {
    const { run, history, graph } = await fixtures.saga();
    const model = buildRunModel({ run, history, graph });
    expect(model.status).toBe('failed');
    expect(rowOf(model, 'ship')?.attempts.map((a) => a.status)).toEqual(['failed']);
    expect(rowOf(model, 'ship')?.error?.message).toBe('carrier down');
    const reserve = rowOf(model, 'reserve');
    expect(reserve?.compensation).toBe('done');
    expect(reserve?.attempts.map((a) => [a.kind, a.status])).toEqual([
      ['step', 'succeeded'],
      ['compensate', 'succeeded'],
    ]);
  });

  it('without the version graph, rows come from the run and its history', async () => {
    const { run, history } = await fixtures.pipeline();
    const model = buildRunModel({ run, history });
    expect(model.steps.map((r) => r.stepId).sort()).toEqual([
      FINALIZE_ROW,
      'enrich',
      'fetch',
      'report',
      'score',
    ]);
    expect(model.groups.score?.counts).toMatchObject({ succeeded: 40 });
    expect(dagOfRun(model).edges).toEqual([]);
  });

  // A lost lease and a released task need a worker to die or give up mid-attempt, which a test run in
  // one process cannot stage: these two histories are written by hand, in the shapes the store writes.
  it('a lost lease and a released task: the same attempt number runs again, as another bar', () => {
    let seq = 0;
    const ev = (at: number, type: string, extra: Partial<RunHistoryEvent> = {}): RunHistoryEvent => ({
      runId: 'r1',
      seq: ++seq,
      at,
      type,
      ...extra,
    });
    const run: RunWithSteps = {
      id: 'r1',
      workflow: 'w',
      versionId: 'w@1',
      status: 'succeeded',
      createdAt: 1000,
      finishedAt: 2000,
      steps: [{ stepId: 's', status: 'succeeded', attempt: 1 }],
    };
    const graph: WorkflowGraph = { workflow: 'w', steps: [{ id: 's', kind: 'fn', needs: [] }] };
    const started = (at: number, workerId: string) =>
      ev(at, 'attempt-started', { stepId: 's', attempt: 1, data: { workerId, kind: 'step' } });
    const history = [
      ev(1000, 'run-created'),
      ev(1000, 'run-started'),
      ev(1000, 'step-scheduled', { stepId: 's' }),
      started(1010, 'w1'),
      ev(1200, 'lease-taken-over', {
        stepId: 's',
        attempt: 1,
        data: { previousWorker: 'w1', kind: 'step', takeovers: 1 },
      }),
      started(1300, 'w2'),
      ev(1400, 'task-released', {
        stepId: 's',
        attempt: 1,
        data: { workerId: 'w2', reason: 'shutdown', retryInMs: 100 },
      }),
      started(1600, 'w3'),
      ev(2000, 'step-succeeded', { stepId: 's', attempt: 1 }),
      ev(2000, 'run-succeeded'),
    ];
    const bars = rowOf(buildRunModel({ run, history, graph }), 's')?.attempts ?? [];
    expect(bars.map((b) => [b.attempt, b.status, b.workerId])).toEqual([
      [1, 'lost', 'w1'],
      [1, 'released', 'w2'],
      [1, 'succeeded', 'w3'],
    ]);
    expect(bars[0]?.error?.code).toBe('LEASE_EXPIRED');
    expect(bars[1]).toMatchObject({ scheduledAt: 1200, startedAt: 1300, finishedAt: 1400 });
    expect(bars[2]).toMatchObject({ scheduledAt: 1400, readyAt: 1500, startedAt: 1600, finishedAt: 2000 });
  });
});
