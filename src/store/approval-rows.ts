/**
 * The `approvals` table both adapters keep: one row per approval step waiting for a decision, written
 * in the transaction that changes the step's waiting state, so the inbox is an index scan rather than a
 * walk over every step of every run. Pure: the adapters run the statements.
 * @module
 */
import type { StepRecord } from '../core/commands.js';
import { BatonError } from '../core/errors.js';
import type { ApprovalRequest } from '../core/types.js';
import type { ApprovalFilter, FeedEvent, PendingApproval } from './port.js';
import { type RunRow, toHistoryEvent } from './rows.js';

/** An `approvals` row. */
export interface ApprovalRow {
  run_id: string;
  step_id: string;
  tenant: string;
  workflow: string;
  version_id: string;
  /** When the step began waiting; kept when the row is rewritten (a reassignment). */
  since: number;
  assignee: string | null;
  role: string | null;
  /** When the SLA escalation is due; null once escalated or when the approval has none. */
  escalation_due_at: number | null;
  request: string;
}

/** Columns of an `approvals` row, in insert order. */
export const APPROVAL_COLUMNS = [
  'run_id',
  'step_id',
  'tenant',
  'workflow',
  'version_id',
  'since',
  'assignee',
  'role',
  'escalation_due_at',
  'request',
] as const;

/** Default and largest page of {@link Store.listApprovals}. */
export const APPROVAL_PAGE = { default: 50, max: 500 };
/** Default and largest page of {@link Store.readFeed}. */
export const FEED_PAGE = { default: 500, max: 5000 };

/** A page size within bounds. */
export function pageSize(limit: number | undefined, page: { default: number; max: number }): number {
  return Math.min(Math.max(Math.floor(limit ?? page.default), 1), page.max);
}

function pendingRequest(rec: StepRecord | undefined): ApprovalRequest | undefined {
  return rec?.status === 'waiting' && rec.wait?.type === 'approval' ? rec.wait.approval : undefined;
}

/**
 * What a transition changes in the `approvals` table: rows to write for steps now waiting on an
 * approval, and steps whose approval is no longer pending.
 */
export function approvalChanges(
  row: RunRow,
  before: ReadonlyMap<string, StepRecord>,
  written: Iterable<StepRecord>,
  now: number,
): { upserts: ApprovalRow[]; deletes: string[] } {
  const upserts: ApprovalRow[] = [];
  const deletes: string[] = [];
  for (const rec of written) {
    const request = pendingRequest(rec);
    if (request) {
      const escalation = request.escalation;
      upserts.push({
        run_id: row.id,
        step_id: rec.stepId,
        tenant: row.tenant,
        workflow: row.workflow,
        version_id: row.version_id,
        since: Math.floor(now),
        assignee: request.assignee ?? null,
        role: request.role ?? null,
        escalation_due_at: escalation && !escalation.escalated ? Math.ceil(escalation.at) : null,
        request: JSON.stringify(request),
      });
    } else if (pendingRequest(before.get(rec.stepId))) {
      deletes.push(rec.stepId);
    }
  }
  return { upserts, deletes };
}

/** Maps an `approvals` row to a {@link PendingApproval}. */
export function toPendingApproval(row: ApprovalRow): PendingApproval {
  return {
    runId: row.run_id,
    stepId: row.step_id,
    workflow: row.workflow,
    versionId: row.version_id,
    tenant: row.tenant,
    request: JSON.parse(row.request),
    since: Number(row.since),
  };
}

/** Maps a history row joined with its run's tenant and workflow to a {@link FeedEvent}. */
export function toFeedEvent(
  row: Parameters<typeof toHistoryEvent>[0] & { tenant: string; workflow: string },
): FeedEvent {
  return { ...toHistoryEvent(row), tenant: row.tenant, workflow: row.workflow };
}

/**
 * The inbox query, for either adapter: `p` adds a parameter and returns its placeholder. Every filter
 * is a prefix of one of the table's indexes, each ordered by `(since, run_id, step_id)`.
 */
export function approvalsQuery(filter: ApprovalFilter, p: (value: unknown) => string): string {
  const where: string[] = [];
  if (filter.tenant !== undefined) where.push(`tenant = ${p(filter.tenant)}`);
  if (filter.workflow !== undefined) where.push(`workflow = ${p(filter.workflow)}`);
  if (filter.assignee !== undefined) where.push(`assignee = ${p(filter.assignee)}`);
  if (filter.role !== undefined) where.push(`role = ${p(filter.role)}`);
  if (filter.waitingBefore !== undefined) where.push(`since < ${p(Math.floor(filter.waitingBefore))}`);
  if (filter.escalationDueBy !== undefined)
    where.push(`escalation_due_at <= ${p(Math.floor(filter.escalationDueBy))}`);
  if (filter.cursor !== undefined) {
    const cursor = parseApprovalCursor(filter.cursor);
    if (!cursor) {
      throw new BatonError('INVALID_ARGUMENT', `approval cursor "${filter.cursor}" is not "runId/stepId"`, {
        hint: "Pass the previous page's last `runId/stepId`",
      });
    }
    // The cursor's approval may have been decided since: its `step-waiting` event has the same instant.
    // `type || ''` keeps the planner on the run's events (history_run), not every event of the type.
    const since = `COALESCE((SELECT since FROM approvals WHERE run_id = ${p(cursor.runId)} AND step_id = ${p(cursor.stepId)}),
      (SELECT at FROM history WHERE run_id = ${p(cursor.runId)} AND step_id = ${p(cursor.stepId)} AND type || '' = 'step-waiting' ORDER BY seq DESC LIMIT 1))`;
    where.push(`(since, run_id, step_id) > ((${since}), ${p(cursor.runId)}, ${p(cursor.stepId)})`);
  }
  // An SLA sweep reads the few due approvals by their index and sorts them, rather than walking the
  // whole inbox in `since` order to find them (`since + 0` cannot use the `since` indexes).
  const order = filter.escalationDueBy === undefined ? 'since' : 'since + 0';
  return `SELECT * FROM approvals ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY ${order}, run_id, step_id LIMIT ${p(pageSize(filter.limit, APPROVAL_PAGE))}`;
}

/** Splits an inbox cursor (`runId/stepId`; step ids may contain `/`, run ids do not). */
export function parseApprovalCursor(cursor: string): { runId: string; stepId: string } | undefined {
  const i = cursor.indexOf('/');
  if (i <= 0 || i === cursor.length - 1) return undefined;
  return { runId: cursor.slice(0, i), stepId: cursor.slice(i + 1) };
}
