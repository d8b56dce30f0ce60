/**
 * The SQLite adapter's reads across runs: the approvals inbox and the history feed.
 * @module
 */
import type { HistoryEventType } from '../../core/types.js';
import {
  type ApprovalRow,
  approvalsQuery,
  FEED_PAGE,
  pageSize,
  toFeedEvent,
  toPendingApproval,
} from '../approval-rows.js';
import type { ApprovalFilter, FeedEvent, PendingApproval } from '../port.js';
import type { SqliteStatement } from './sqlite-driver.js';

/** Prepares (and caches) a statement. */
type Prepare = (sql: string) => SqliteStatement;

/** Approval steps waiting for a decision, oldest first. */
export function listApprovals(q: Prepare, filter: ApprovalFilter): PendingApproval[] {
  const params: unknown[] = [];
  const sql = approvalsQuery(filter, (value) => {
    params.push(value);
    return '?';
  });
  return (q(sql).all(...params) as ApprovalRow[]).map(toPendingApproval);
}

/** History events of every run after `afterSeq`, with their run's tenant and workflow. */
export function readFeed(
  q: Prepare,
  request: { afterSeq: number; types?: HistoryEventType[]; limit?: number },
): FeedEvent[] {
  const types = request.types;
  if (types?.length === 0) return [];
  const limit = pageSize(request.limit, FEED_PAGE);
  // One bounded index range per type (history_type), so a reader far behind sorts at most
  // `types × limit` rows, not every matching event since its cursor.
  const byType = types
    ? `AND h.seq IN (${types.map(() => 'SELECT seq FROM (SELECT seq FROM history WHERE type = ? AND seq > ? ORDER BY seq LIMIT ?)').join(' UNION ALL ')})`
    : '';
  const params = (types ?? []).flatMap((type) => [type, request.afterSeq, limit]);
  const rows = q(
    `SELECT h.*, r.tenant, r.workflow FROM history h JOIN runs r ON r.id = h.run_id
      WHERE h.seq > ? ${byType} ORDER BY h.seq LIMIT ?`,
  ).all(request.afterSeq, ...params, limit) as Parameters<typeof toFeedEvent>[0][];
  return rows.map(toFeedEvent);
}
