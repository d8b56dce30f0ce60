import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NewTask, StepRecord, Transition } from './commands.js';
import { runSnapshot, stepNode } from './fixtures/machine-fixtures.js';
import { reduceRun } from './machine.js';
import type { Graph, StepNode, StepOutcome } from './types.js';

/** A random DAG: step i may need any of the steps before it; some steps are conditional or branches. */
const dagArb = fc
  .integer({ min: 1, max: 25 })
  .chain((n) =>
    fc.tuple(
      fc.array(fc.array(fc.boolean(), { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
      fc.array(fc.constantFrom('fn', 'fn', 'fn', 'branch', 'skip'), { minLength: n, maxLength: n }),
      fc.array(fc.nat(), { minLength: 200, maxLength: 200 }),
    ),
  );

function buildGraph(edges: boolean[][], kinds: string[]): Graph {
  const steps = kinds.map((kind, i) =>
    stepNode(`s${i}`, edges[i]?.slice(0, i).flatMap((e, j) => (e ? [`s${j}`] : [])) ?? [], {
      kind: kind === 'branch' ? 'branch' : 'fn',
      conditional: kind === 'skip',
    }),
  );
  return { workflow: 'prop', steps, hasOutput: false };
}

/** A minimal in-memory adapter: applies transitions to a snapshot and keeps the task list. */
function simulate(graph: Graph, kinds: string[], picks: number[]) {
  const snap = runSnapshot({ workflow: 'prop', versionId: 'prop@1' });
  let tasks: NewTask[] = [];
  let now = 0;
  let pick = 0;
  const ctx = () => ({ now: ++now, random: () => 0.5, newId: () => 'child', maxPayloadBytes: 1e6 });
  const applyT = (t: Transition) => {
    for (const rec of t.steps) snap.steps.set(rec.stepId, rec);
    if (t.run)
      snap.run = {
        ...snap.run,
        ...(t.run.status ? { status: t.run.status } : {}),
        ...(t.run.phase ? { phase: t.run.phase } : {}),
      };
    if (t.removeTasks) tasks = [];
    tasks.push(...t.tasks);
  };
  const startedWhileNeedsOpen: string[] = [];
  applyT(reduceRun(graph, snap, { type: 'start' }, ctx()));
  for (let guard = 0; tasks.length > 0 && guard < 500; guard++) {
    const i = (picks[pick++ % picks.length] ?? 0) % tasks.length;
    const [task] = tasks.splice(i, 1) as [NewTask];
    if (task.kind === 'finalize') {
      applyT(
        reduceRun(
          graph,
          snap,
          { type: 'task-finished', task, outcome: { type: 'succeeded', output: null } },
          ctx(),
        ),
      );
      continue;
    }
    const node = graph.steps.find((s) => s.id === task.stepId) as StepNode;
    // The claim: the worker starts the step now. Every need must be settled.
    for (const need of node.needs) {
      const st = snap.steps.get(need)?.status;
      if (st !== 'succeeded' && st !== 'skipped') startedWhileNeedsOpen.push(`${node.id} before ${need}`);
    }
    const rec = snap.steps.get(node.id) as StepRecord;
    snap.steps.set(node.id, { ...rec, status: 'running', attempt: task.attempt });
    const index = graph.steps.indexOf(node);
    let outcome: StepOutcome = { type: 'succeeded', output: index };
    if (kinds[index] === 'skip') outcome = { type: 'skipped', reason: 'condition false' };
    if (kinds[index] === 'branch') {
      const dependents = graph.steps.filter((s) => s.needs.includes(node.id)).map((s) => s.id);
      const chosen = dependents.filter((_, k) => ((picks[(pick + k) % picks.length] ?? 0) & 1) === 0);
      outcome = { type: 'branched', output: chosen, chosen };
    }
    applyT(reduceRun(graph, snap, { type: 'task-finished', task, outcome }, ctx()));
  }
  return { snap, startedWhileNeedsOpen };
}

describe('scheduler properties', () => {
  it('never starts a step before its needs, and always finishes the run with every step settled', () => {
    fc.assert(
      fc.property(dagArb, ([edges, kinds, picks]) => {
        const graph = buildGraph(edges, kinds);
        const { snap, startedWhileNeedsOpen } = simulate(graph, kinds, picks);
        expect(startedWhileNeedsOpen).toEqual([]);
        expect(snap.run.status).toBe('succeeded');
        for (const step of graph.steps) {
          const status = snap.steps.get(step.id)?.status;
          expect(['succeeded', 'skipped']).toContain(status);
          // A step all of whose needs were skipped is skipped too.
          if (step.needs.length > 0 && step.needs.every((n) => snap.steps.get(n)?.status === 'skipped')) {
            expect(status).toBe('skipped');
          }
        }
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});
