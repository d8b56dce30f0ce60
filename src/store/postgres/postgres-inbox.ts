/**
 * The Postgres adapter's reads across runs: the approvals inbox and the history feed.
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

/** Runs a read outside any transaction. */
type Read = <R>(text: string, values?: unknown[]) => Promise<R[]>;

/** Approval steps waiting for a decision, oldest first. */
export async function listApprovals(read: Read, filter: ApprovalFilter): Promise<PendingApproval[]> {
  const params: unknown[] = [];
  const sql = approvalsQuery(filter, (value) => {
    params.push(value);
    return `$${params.length}`;
  });
  return (await read<ApprovalRow>(sql, params)).map(toPendingApproval);
}

/** History events of every run after `afterSeq`, with their run's tenant and workflow. */
export async function readFeed(
  read: Read,
  request: { afterSeq: number; types?: HistoryEventType[]; limit?: number },
): Promise<FeedEvent[]> {
  const types = request.types;
  if (types?.length === 0) return [];
  const params: unknown[] = [request.afterSeq, pageSize(request.limit, FEED_PAGE)];
  if (types) params.push(types);
  // One bounded index range per type (history_type), so a reader far behind sorts at most
  // `types × limit` rows, not every matching event since its cursor.
  const from = types
    ? `unnest($3::text[]) AS x(type) CROSS JOIN LATERAL
         (SELECT * FROM history WHERE type = x.type AND seq > $1 ORDER BY seq LIMIT $2) h`
    : 'history h';
  const rows = await read<Parameters<typeof toFeedEvent>[0]>(
    `SELECT h.*, r.tenant, r.workflow FROM ${from} JOIN runs r ON r.id = h.run_id
      WHERE h.seq > $1 ORDER BY h.seq LIMIT $2`,
    params,
  );
  return rows.map(toFeedEvent);
}
