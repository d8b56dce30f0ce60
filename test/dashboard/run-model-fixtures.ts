/**
 * Real runs for the dashboard's run model tests (`web/src/views/run-detail/run-model.test.ts`): each
 * fixture runs a workflow through the engine on a fresh SQLite store and returns the run, its steps,
 * history and version graph as the API serves them. It lives outside `web/` because it runs the engine,
 * which the browser build's typecheck must not reach; the web test imports it by a path tsc does not follow.
 * @module
 */
import { z } from 'zod';
import { workflow } from '../../src/core/builder.js';
import type { WorkflowDefinition } from '../../src/core/definition.js';
import { NonRetryableError } from '../../src/core/errors.js';
import { type TestBaton, useEngines } from '../helpers.js';
import { until } from '../until.js';

/** A run as the API would give it: `GET /v1/runs/{id}`, its history, its version's graph, and the store's attempts. */
export interface CapturedRun {
  run: {
    id: string;
    workflow: string;
    versionId: string;
    status: string;
    createdAt: number;
    startedAt?: number;
    finishedAt?: number;
    steps: { stepId: string; status: string; attempt: number }[];
  };
  history: {
    runId: string;
    seq: number;
    at: number;
    type: string;
    stepId?: string;
    item?: number;
    attempt?: number;
    data?: unknown;
  }[];
  graph: { workflow: string; steps: { id: string; kind: string; needs: string[] }[] };
  attempts: {
    stepId: string;
    kind: string;
    item: number;
    attempt: number;
    workerId: string;
    status: string;
    startedAt: number;
    finishedAt?: number;
  }[];
}

const fast = { initialDelayMs: 5, maxDelayMs: 20, jitter: 0 };

async function capture(b: TestBaton, runId: string): Promise<CapturedRun> {
  const run = await b.getRun(runId);
  const steps = await b.steps(runId);
  const version = (await b.versions(run.workflow)).find((v) => v.id === run.versionId);
  // Through JSON, as the API sends it (undefined fields dropped).
  return JSON.parse(
    JSON.stringify({
      run: { ...run, steps },
      history: await b.history(runId),
      graph: version?.graph,
      attempts: await b.attempts(runId),
    }),
  ) as CapturedRun;
}

async function runToEnd(b: TestBaton, def: WorkflowDefinition, input: unknown = {}): Promise<CapturedRun> {
  await b.register(def);
  b.worker({ concurrency: 8, pollMs: 5 });
  const run = await b.submit(def.name, input);
  await b.waitForRun(run.id);
  return capture(b, run.id);
}

/**
 * fetch → enrich (fails twice, then succeeds) → score (a map of 40 items, 4 at a time; item 7 fails once)
 * → report, with an output function (a finalize task).
 */
function pipeline(): WorkflowDefinition {
  let flaky = 0;
  const itemCalls = new Map<number, number>();
  return workflow({ name: 'pipeline', version: '1', input: z.object({}) })
    .step('fetch', { run: () => Array.from({ length: 40 }, (_, i) => i) })
    .step('enrich', {
      needs: ['fetch'],
      retry: { ...fast, maxAttempts: 4 },
      run: ({ steps }) => {
        flaky++;
        if (flaky <= 2) throw new Error(`upstream hiccup ${flaky}`);
        return steps.fetch;
      },
    })
    .map('score', {
      needs: ['enrich'],
      items: ({ steps }) => steps.enrich,
      concurrency: 4,
      retry: { ...fast, maxAttempts: 3 },
      run: async (x: number) => {
        const n = (itemCalls.get(x) ?? 0) + 1;
        itemCalls.set(x, n);
        if (x === 7 && n === 1) throw new Error('item 7 flaked');
        await new Promise((r) => setTimeout(r, 1));
        return x * 2;
      },
    })
    .step('report', { needs: ['score'], run: ({ steps }) => steps.score.length })
    .output(({ steps }) => ({ count: steps.report }));
}

/** Fixtures of real runs; call at the top of a test file (engines are closed after each test). */
export function useRunFixtures() {
  const engine = useEngines();
  return {
    /** See {@link pipeline}. */
    pipeline: async () => runToEnd(await engine(), pipeline()),

    /** A map of 30 items, 3 at a time, whose item 4 fails for good (fail-fast); a step after it. */
    failedMap: async () =>
      runToEnd(
        await engine(),
        workflow({ name: 'failfast', version: '1', input: z.object({}) })
          .map('m', {
            items: () => Array.from({ length: 30 }, (_, i) => i),
            concurrency: 3,
            run: async (x: number) => {
              await new Promise((r) => setTimeout(r, 2));
              if (x === 4) throw new NonRetryableError('four is bad');
              return x;
            },
          })
          .step('after', { needs: ['m'], run: () => 1 })
          .build(),
      ),

    /** An approval, then a branch choosing `small` over `big`: captured while waiting, and once done. */
    approval: async () => {
      const b = await engine();
      await b.register(
        workflow({ name: 'appr', version: '1', input: z.object({ amount: z.number() }) })
          .approval('ok', { prompt: 'Pay?', data: ({ input }) => ({ amount: input.amount }), timeout: '1h' })
          .branch('route', { needs: ['ok'], choose: () => 'small' })
          .step('small', { needs: ['route'], run: () => 'small' })
          .step('big', { needs: ['route'], run: () => 'big' })
          .build(),
      );
      b.worker({ pollMs: 5 });
      const run = await b.submit('appr', { amount: 10 });
      await until('the run to wait', async () => (await b.getRun(run.id)).status === 'waiting');
      const waiting = await capture(b, run.id);
      await b.decide(run.id, 'ok', { approved: true, by: 'ann' });
      await b.waitForRun(run.id);
      return { waiting, done: await capture(b, run.id) };
    },

    /** reserve (an effect with a compensation) → ship (an effect that fails, so is not retried). */
    saga: async () =>
      runToEnd(
        await engine(),
        workflow({ name: 'saga', version: '1', input: z.object({}) })
          .step('reserve', { effect: true, run: () => 'r1', compensate: () => undefined })
          .step('ship', {
            needs: ['reserve'],
            effect: true,
            run: () => {
              throw new Error('carrier down');
            },
          })
          .build(),
      ),
  };
}
