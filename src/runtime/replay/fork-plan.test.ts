import { describe, expect, it } from 'vitest';
import { stepNode } from '../../core/fixtures/machine-fixtures.js';
import type { Graph, StepState } from '../../core/types.js';
import { planFork } from './fork-plan.js';

const node = (id: string, needs: string[] = [], effect = false) => stepNode(id, needs, { effect });

//   a ── b (branch) ── c
//   │              └── d (not chosen)
//   └─ pay (effect) ── e
const graph: Graph = {
  workflow: 'wf',
  hasOutput: false,
  steps: [
    node('a'),
    node('b', ['a']),
    node('c', ['b']),
    node('d', ['b']),
    node('pay', ['a'], true),
    node('e', ['pay', 'c']),
  ],
};

const state = (stepId: string, status: StepState['status'], output?: unknown): StepState => ({
  stepId,
  status,
  attempt: 1,
  ...(output === undefined ? {} : { output }),
});

const recorded = [
  state('a', 'succeeded', 1),
  state('b', 'succeeded', ['c']),
  state('c', 'succeeded', 3),
  state('d', 'skipped'),
  state('pay', 'succeeded', { paid: true }),
  state('e', 'succeeded', 5),
];

describe('planFork', () => {
  it('reuses every settled step that does not depend on the fork step, skipped ones as skipped', () => {
    const plan = planFork('r1', graph, recorded, 'c');
    expect(plan.seed).toEqual({
      fromRun: 'r1',
      outputs: { a: 1, b: ['c'], pay: { paid: true } },
      skipped: ['d'],
    });
    expect(plan.execute).toEqual(['c', 'e']);
    expect(plan.effects).toEqual([]);
  });

  it('lists the effect steps the fork would execute', () => {
    const plan = planFork('r1', graph, recorded, 'a');
    expect(plan.seed.outputs).toEqual({});
    expect(plan.effects).toEqual(['pay']);
  });

  it('runs the steps the recorded run never settled', () => {
    const plan = planFork('r1', graph, recorded.slice(0, 2), 'c');
    expect(plan.execute).toEqual(['c', 'd', 'pay', 'e']);
    expect(plan.effects).toEqual(['pay']);
  });

  it('runs again every step depending on a step it executes, not only on the fork step', () => {
    // A new version adds `x`, which `c` now needs; the recorded run (of the old version) never ran it.
    const changed: Graph = {
      ...graph,
      steps: graph.steps.map((s) => (s.id === 'c' ? node('c', ['b', 'x']) : s)).concat(node('x')),
    };
    const plan = planFork('r1', changed, recorded, 'pay');
    expect(plan.execute).toEqual(['c', 'pay', 'e', 'x']);
    expect(plan.seed).toEqual({ fromRun: 'r1', outputs: { a: 1, b: ['c'] }, skipped: ['d'] });
    // A step the recorded run failed is executed again, and so are the settled steps after it.
    const failedC = recorded.map((s) => (s.stepId === 'c' ? state('c', 'failed') : s));
    expect(planFork('r1', graph, failedC, 'b').execute).toEqual(['b', 'c', 'd', 'e']);
    expect(planFork('r1', graph, failedC, 'pay').execute).toEqual(['c', 'pay', 'e']);
  });

  it('refuses an unknown step and a step whose needs have no recorded output', () => {
    expect(() => planFork('r1', graph, recorded, 'zz')).toThrow(
      expect.objectContaining({ code: 'STEP_NOT_FOUND' }),
    );
    const failed = [state('a', 'succeeded', 1), state('b', 'failed')];
    expect(() => planFork('r1', graph, failed, 'c')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', details: expect.objectContaining({ need: 'b' }) }),
    );
  });
});
