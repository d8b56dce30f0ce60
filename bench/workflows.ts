/**
 * The workflows the benchmarks run, shared by the SQLite benchmark (bench/engine.ts), the Postgres one
 * (bench/postgres.ts) and their worker processes. Every process builds them from this module, so their
 * step bodies hash the same and register as the same versions.
 */
import { z } from 'zod';
import { workflow } from '../src/core/builder.js';
import type { WorkflowDefinition } from '../src/core/definition.js';

/** `seq10`: ten no-op steps in a chain; `onStep(runId, index)` is called at the start of step `index` (1–10). */
export function seq10Workflow(onStep: (runId: string, index: number) => void): WorkflowDefinition {
  let b = workflow({ name: 'seq10', version: '1', input: z.object({}) }).step('s1', {
    run: ({ run }) => {
      onStep(run.id, 1);
      return null;
    },
  });
  for (let i = 2; i <= 10; i++) {
    b = b.step(`s${i}`, {
      needs: [`s${i - 1}`] as never,
      run: ({ run }) => {
        onStep(run.id, i);
        return null;
      },
    }) as typeof b;
  }
  return b.build();
}

/** `fanout`: one map step over `input.n` items (concurrency 100), then a step counting them. */
export const mapWorkflow = workflow({ name: 'fanout', version: '1', input: z.object({ n: z.number() }) })
  .map('items', {
    items: ({ input }) => Array.from({ length: input.n }, (_, i) => i),
    concurrency: 100,
    maxItems: 10_000,
    run: (i) => i,
  })
  .step('count', { needs: ['items'], run: ({ steps }) => steps.items.length })
  .build();

/** `nap`: a durable 1 s timer, then one step calling `onAfter`. */
export function napWorkflow(onAfter: () => void): WorkflowDefinition {
  return workflow({ name: 'nap', version: '1', input: z.object({}) })
    .wait('sleep', { for: '1s' })
    .step('after', {
      needs: ['sleep'],
      run: () => {
        onAfter();
        return null;
      },
    })
    .build();
}

/** Steps of `hold` currently blocked in this process. */
export const holdState = { held: 0 };

/** `hold`: one step that blocks until aborted when BENCH_BLOCK=1 in the worker's process, and returns at once elsewhere. */
export const holdWorkflow = workflow({ name: 'hold', version: '1', input: z.object({}) })
  .step('hold', {
    run: ({ signal }) => {
      if (process.env.BENCH_BLOCK !== '1') return null;
      holdState.held++;
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve(null)));
    },
  })
  .build();

/** `kid`: one no-op step; the child of {@link kidsWorkflow}. */
export const kidWorkflow = workflow({ name: 'kid', version: '1', input: z.object({ i: z.number() }) })
  .step('k', { run: ({ input }) => input.i })
  .build();

/** Child steps of the fan-out parent (`kids1000` by default). */
export const KIDS = Number(process.env.BENCH_CHILDREN ?? 1000);

/** `kids<n>`: `n` child steps with no dependencies, each starting a `kid` run; the parent ends when all have. */
export function kidsWorkflow(n: number): WorkflowDefinition {
  let b = workflow({ name: `kids${n}`, version: '1', input: z.object({}) }).child('c0', {
    workflow: 'kid',
    input: () => ({ i: 0 }),
  });
  for (let i = 1; i < n; i++) {
    b = b.child(`c${i}`, { workflow: 'kid', input: () => ({ i }) }) as typeof b;
  }
  return b.build();
}

/**
 * Every workflow of the Postgres benchmark, as the bench process and each worker process register them
 * (the same content hash, so runs submitted by one run on the others).
 */
export function postgresBenchWorkflows(
  onStep: (runId: string, index: number) => void = () => {},
): WorkflowDefinition[] {
  return [
    seq10Workflow(onStep),
    mapWorkflow,
    napWorkflow(() => {}),
    holdWorkflow,
    kidWorkflow,
    kidsWorkflow(KIDS),
  ];
}
