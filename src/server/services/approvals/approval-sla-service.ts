/**
 * The approval SLA: an approval step that declares `escalate: { afterMs, role?, assignee? }` and is still
 * undecided when its escalation falls due moves to that role (and/or assignee), once. The reassignment
 * is written to the run's history (`approval-reassigned`, by `sla`) and to the audit log (actor `system`).
 *
 * The other half of the SLA, the default action at the deadline (`timeoutMs` with `defaultAction`), is
 * the engine's own: a durable timer decides the step as `system:timeout`, with or without a server.
 * @module
 */
import { BatonError } from '../../../core/errors.js';
import type { PendingApproval } from '../../../store/port.js';
import type { ServerContext } from '../../context.js';
import { startTicker } from '../ticker.js';

/** Options of {@link startApprovalSlaService}. */
export interface ApprovalSlaOptions {
  /** Pause between ticks. @defaultValue 5000 */
  intervalMs?: number;
  /** Clock deciding what is due (epoch ms). @defaultValue ctx.now */
  now?: () => number;
  /** Most approvals escalated per tick; the rest wait for the next. @defaultValue 100 */
  batch?: number;
  /** Told of a failed tick or escalation. @defaultValue ignore */
  onError?: (error: unknown) => void;
}

/** A running SLA service. */
export interface ApprovalSlaService {
  /** Escalates what is due now, after any tick in progress. */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the approval SLA service of a server. Safe to run in many processes: the store escalates an
 * approval once (`escalation: true`).
 */
export function startApprovalSlaService(
  ctx: ServerContext,
  options: ApprovalSlaOptions = {},
): ApprovalSlaService {
  const now = options.now ?? ctx.now;
  const onError = options.onError ?? (() => {});
  const tick = async (): Promise<void> => {
    const at = now();
    const due = await ctx.baton.listApprovals({ escalationDueBy: at, limit: options.batch ?? 100 });
    for (const approval of due) {
      try {
        await escalate(ctx, approval, at);
      } catch (error) {
        onError(error);
      }
    }
  };
  return startTicker(options.intervalMs ?? 5000, tick, onError);
}

async function escalate(ctx: ServerContext, approval: PendingApproval, at: number): Promise<void> {
  const { request, runId, stepId } = approval;
  const escalation = request.escalation;
  if (!escalation || escalation.escalated) return;
  const minutes = Math.max(0, Math.round((escalation.at - approval.since) / 60_000));
  const to = {
    ...(escalation.role === undefined ? {} : { role: escalation.role }),
    ...(escalation.assignee === undefined ? {} : { assignee: escalation.assignee }),
  };
  try {
    await ctx.baton.reassignApproval(runId, stepId, {
      ...to,
      by: 'sla',
      escalation: true,
      comment: `escalated after ${minutes} min without a decision`,
    });
  } catch (error) {
    // Decided (or cancelled) between the listing and the escalation: nothing is left to escalate.
    if (error instanceof BatonError && error.code === 'RUN_NOT_WAITING') return;
    throw error;
  }
  await ctx.control.appendAudit({
    at,
    tenant: approval.tenant,
    actor: 'system',
    action: 'approval.escalate',
    target: `${runId}/${stepId}`,
    details: {
      workflow: approval.workflow,
      from: {
        ...(request.role === undefined ? {} : { role: request.role }),
        ...(request.assignee === undefined ? {} : { assignee: request.assignee }),
      },
      to,
      dueAt: escalation.at,
      waitingSince: approval.since,
    },
  });
}
