import { describe, expect, it } from 'vitest';
import type { MachineContext, StepRecord } from './commands.js';
import { runSnapshot, stepNode } from './fixtures/machine-fixtures.js';
import { reduceRun } from './machine.js';
import type { Graph } from './types.js';

const node = (id: string, needs: string[] = [], compensable = false) =>
  stepNode(id, needs, { effect: compensable, compensable });

// charge (compensable effect) → ship (compensable) → notify
const graph: Graph = {
  workflow: 'wf',
  hasOutput: false,
  steps: [node('charge', [], true), node('ship', ['charge'], true), node('notify', ['ship'])],
};

const ctx: MachineContext = { now: 10, random: () => 0.5, newId: () => 'id', maxPayloadBytes: 10_000 };

const snapshot = (steps: StepRecord[] = []) => runSnapshot({ id: 'r2' }, steps);

describe('a seeded start (fork)', () => {
  it('starts seeded steps as succeeded with no attempt and schedules what they make ready', () => {
    const t = reduceRun(
      graph,
      snapshot(),
      { type: 'start', seed: { fromRun: 'r1', outputs: { charge: { id: 7 } } } },
      ctx,
    );
    expect(t.steps.find((s) => s.stepId === 'charge')).toMatchObject({
      status: 'succeeded',
      attempt: 0,
      outputJson: '{"id":7}',
    });
    expect(t.tasks.map((k) => k.stepId)).toEqual(['ship']);
    expect(t.events.filter((e) => e.type === 'step-reused')).toEqual([
      { type: 'step-reused', stepId: 'charge', data: { fromRun: 'r1' } },
    ]);
  });

  it('does not compensate a reused step when the fork fails: its effect belongs to the run it came from', () => {
    const steps: StepRecord[] = [
      { stepId: 'charge', status: 'succeeded', attempt: 0, outputJson: '1', seq: 1 },
      { stepId: 'ship', status: 'running', attempt: 1 },
    ];
    const running = snapshot(steps);
    running.run.status = 'running';
    const t = reduceRun(
      graph,
      running,
      {
        type: 'task-finished',
        task: { kind: 'step', stepId: 'ship', item: -1, attempt: 1 },
        outcome: { type: 'failed', error: { code: 'X', message: 'no', retryable: false } },
      },
      ctx,
    );
    expect(t.tasks.filter((k) => k.kind === 'compensate')).toEqual([]);
    expect(t.run?.status).toBe('failed');
  });
});
