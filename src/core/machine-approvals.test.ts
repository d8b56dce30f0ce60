import { describe, expect, it } from 'vitest';
import type { RunSnapshot, StepRecord } from './commands.js';
import { runSnapshot, stepNode } from './fixtures/machine-fixtures.js';
import { reduceRun } from './machine.js';
import type { ApprovalChange, ApprovalRequest, Graph, RunStatus } from './types.js';

const graph: Graph = {
  workflow: 'wf',
  hasOutput: false,
  steps: [stepNode('ok', [], { kind: 'approval' })],
};

const request: ApprovalRequest = {
  prompt: 'ok?',
  assignee: 'ann',
  role: 'finance',
  defaultAction: 'reject',
  onReject: 'fail',
  escalation: { at: 50, role: 'lead' },
};

const snapshot = (step?: StepRecord, status: RunStatus = 'waiting') =>
  runSnapshot({ status, phase: status === 'waiting' ? 'steps' : 'done' }, step ? [step] : []);

const waiting: StepRecord = {
  stepId: 'ok',
  status: 'waiting',
  attempt: 1,
  wait: { type: 'approval', approval: request },
};
const ctx = { now: 100, random: () => 0.5, newId: () => 'c', maxPayloadBytes: 1e6 };
const reassign = (snap: RunSnapshot, change: ApprovalChange, stepId = 'ok') =>
  reduceRun(graph, snap, { type: 'reassign', stepId, change }, ctx);

describe('reassigning an approval', () => {
  it('replaces who decides, keeps the step waiting and records the change', () => {
    const t = reassign(snapshot(waiting), { role: 'legal', by: 'admin', comment: 'why' });
    expect(t.rejected).toBeUndefined();
    expect(t.steps).toEqual([
      {
        ...waiting,
        wait: { type: 'approval', approval: { ...request, assignee: undefined, role: 'legal' } },
      },
    ]);
    expect(t.steps[0]?.wait?.approval).not.toHaveProperty('assignee');
    expect(t.run).toBeUndefined();
    expect(t.tasks).toEqual([]);
    expect(t.removeTimers).toBeUndefined();
    expect(t.events).toEqual([
      {
        type: 'approval-reassigned',
        stepId: 'ok',
        data: { by: 'admin', assignee: null, role: 'legal', comment: 'why', escalation: false },
      },
    ]);
  });

  it('marks an escalation done, once', () => {
    const t = reassign(snapshot(waiting), { role: 'lead', by: 'sla', escalation: true });
    const escalated = t.steps[0] as StepRecord;
    expect(escalated.wait?.approval?.escalation).toEqual({ at: 50, role: 'lead', escalated: true });
    const again = reassign(snapshot(escalated), { role: 'lead', by: 'sla', escalation: true });
    expect(again.rejected?.code).toBe('RUN_NOT_WAITING');
    expect(again.events).toEqual([]);
  });

  it('refuses a step that is not waiting on an approval, a finished run, an unknown step, or nobody', () => {
    expect(reassign(snapshot(), { role: 'x', by: 'a' }).rejected?.code).toBe('RUN_NOT_WAITING');
    const sleeping: StepRecord = { ...waiting, wait: { type: 'sleep', until: 5 } };
    expect(reassign(snapshot(sleeping), { role: 'x', by: 'a' }).rejected?.code).toBe('RUN_NOT_WAITING');
    const done = snapshot({ ...waiting, status: 'cancelled', wait: undefined }, 'cancelled');
    expect(reassign(done, { role: 'x', by: 'a' }).rejected?.code).toBe('RUN_NOT_WAITING');
    expect(reassign(snapshot(waiting), { role: 'x', by: 'a' }, 'nope').rejected?.code).toBe('STEP_NOT_FOUND');
    expect(reassign(snapshot(waiting), { by: 'a' }).rejected?.code).toBe('INVALID_ARGUMENT');
  });
});
