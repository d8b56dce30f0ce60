/** The approval shapes the inbox reads from the API, and the SLA arithmetic of its age bar. */

/** `ApprovalRequest`: what the step asks the decider. */
export interface ApprovalRequest {
  prompt: string;
  data?: unknown;
  assignee?: string;
  role?: string;
  timeoutAt?: number;
  defaultAction: 'approve' | 'reject';
  onReject: 'fail' | 'continue';
  escalation?: { at: number; role?: string; assignee?: string; escalated?: boolean };
}

/** `GET /v1/approvals` item. */
export interface PendingApproval {
  runId: string;
  stepId: string;
  workflow: string;
  versionId: string;
  tenant: string;
  request: ApprovalRequest;
  since: number;
  ageMs: number;
}

/** `GET /v1/approvals/{runId}/{stepId}`. */
export interface ApprovalContext {
  runId: string;
  stepId: string;
  request: ApprovalRequest;
  since?: number;
  run: { id: string; status: string; input: unknown; createdAt: number };
  completed: Record<string, unknown>;
  options: ('approve' | 'reject' | 'edit')[];
}

/** `GET /v1/approvals/decided` item. */
export interface DecidedApproval {
  id: string;
  runId: string;
  stepId: string;
  workflow: string | null;
  decision: 'approve' | 'reject';
  edited: boolean;
  comment: string | null;
  by: string;
  keyId: string;
  at: number;
}

/** A page of a list. */
export interface ListPage<T> {
  data: T[];
  next_cursor: string | null;
}

/** The next deadline an approval is measured against, and what happens there. */
export interface SlaDeadline {
  /** Milliseconds from when the approval began waiting to the deadline. */
  budgetMs: number;
  /** What happens at the deadline, for people: `escalates to role finance`, `rejected by default`. */
  outcome: string;
}

/**
 * The approval's SLA: its escalation while it has not happened, else its timeout. Undefined when it
 * has neither (it waits for ever).
 */
export function slaOf(a: Pick<PendingApproval, 'request' | 'since'>): SlaDeadline | undefined {
  const esc = a.request.escalation;
  if (esc && !esc.escalated) {
    const to = [esc.role && `role ${esc.role}`, esc.assignee].filter(Boolean).join(' / ');
    return { budgetMs: esc.at - a.since, outcome: `escalates to ${to || 'another decider'}` };
  }
  if (a.request.timeoutAt !== undefined) {
    const verb = a.request.defaultAction === 'approve' ? 'approved' : 'rejected';
    return { budgetMs: a.request.timeoutAt - a.since, outcome: `${verb} by default` };
  }
  return undefined;
}

/** `green` below 75% of the SLA, `amber` up to it, `red` past it. */
export function slaLevel(ageMs: number, budgetMs: number): 'green' | 'amber' | 'red' {
  if (budgetMs <= 0 || ageMs >= budgetMs) return 'red';
  return ageMs / budgetMs >= 0.75 ? 'amber' : 'green';
}
