/**
 * Approval commands of the run state machine that change who decides, not the outcome: a reassignment
 * by a person, or an SLA escalation.
 * @module
 */
import type { Work } from './machine-work.js';
import type { ApprovalChange, ApprovalRequest } from './types.js';

/** Change who decides a waiting approval; rejected (nothing written) when the step is not waiting on one. */
export function onReassign(w: Work, stepId: string, change: ApprovalChange): void {
  const rec = w.step(stepId);
  if (!w.node(stepId)) {
    w.t.rejected = {
      code: 'STEP_NOT_FOUND',
      message: `run ${w.run.id} has no step "${stepId}"; see its steps with \`baton runs show ${w.run.id}\``,
    };
    return;
  }
  const request = rec?.wait?.type === 'approval' ? rec.wait.approval : undefined;
  if (w.isEnded() || rec?.status !== 'waiting' || !request) {
    w.t.rejected = {
      code: 'RUN_NOT_WAITING',
      message: `step "${stepId}" of run ${w.run.id} is not waiting for an approval (it is ${rec?.status ?? 'not started'}); only a pending approval can be reassigned`,
      details: { runId: w.run.id, stepId, status: rec?.status ?? 'pending' },
    };
    return;
  }
  if (change.assignee === undefined && change.role === undefined) {
    w.t.rejected = {
      code: 'INVALID_ARGUMENT',
      message: `a reassignment of step "${stepId}" of run ${w.run.id} names neither an assignee nor a role; name who decides now`,
      details: { runId: w.run.id, stepId },
    };
    return;
  }
  // Two SLA sweeps may race on one due approval: the second one finds it escalated and changes nothing.
  if (change.escalation && request.escalation?.escalated) {
    w.t.rejected = {
      code: 'RUN_NOT_WAITING',
      message: `the approval of step "${stepId}" of run ${w.run.id} has already been escalated`,
      details: { runId: w.run.id, stepId, escalated: true },
    };
    return;
  }
  const { assignee: _a, role: _r, ...rest } = request;
  const next: ApprovalRequest = {
    ...rest,
    ...(change.assignee === undefined ? {} : { assignee: change.assignee }),
    ...(change.role === undefined ? {} : { role: change.role }),
  };
  if (change.escalation) next.escalation = { ...(request.escalation ?? { at: w.ctx.now }), escalated: true };
  w.put({ ...rec, wait: { ...rec.wait, type: 'approval', approval: next } });
  w.event({
    type: 'approval-reassigned',
    stepId,
    data: {
      by: change.by,
      assignee: change.assignee ?? null,
      role: change.role ?? null,
      comment: change.comment ?? null,
      escalation: change.escalation === true,
    },
  });
}
