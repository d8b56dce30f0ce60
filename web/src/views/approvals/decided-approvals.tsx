/** The "Decided" tab: decisions newest first, with who decided, when, what and why. */
import { useState } from 'react';
import { Link } from 'wouter';
import { useApiGet } from '../../api/hooks';
import { formatAgo, formatTime } from '../../components/format';
import { Loaded, StatusBadge } from '../../components/ui';
import type { DecidedApproval, ListPage } from './approval-types';

const PAGE = 50;

/** Decided approvals, a page at a time, refreshed while the first page is shown. */
export function DecidedApprovals() {
  // The cursors of the pages before the current one, so "Newer" can step back.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const query = useApiGet<ListPage<DecidedApproval>>(
    '/v1/approvals/decided',
    { limit: PAGE, cursor },
    cursor === undefined ? { refetchMs: 5000 } : {},
  );
  return (
    <Loaded query={query}>
      {(page) =>
        page.data.length === 0 && cursor === undefined ? (
          <div className="card empty-state" data-testid="decided-empty">
            No decisions yet. Decisions taken in this inbox, with <code>baton approve</code> against this
            server or through <code>POST /v1/approvals/…/decide</code> appear here.
          </div>
        ) : (
          <div className="card">
            <div className="table-scroll">
              <table data-testid="decided-table" className="decided-table">
                <thead>
                  <tr>
                    <th>Decided</th>
                    <th>Decision</th>
                    <th>By</th>
                    <th>Comment</th>
                    <th>Run and step</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((d) => (
                    <tr key={d.id} data-testid="decided-item" data-run-id={d.runId} data-step-id={d.stepId}>
                      <td title={formatTime(d.at)}>{formatAgo(d.at)}</td>
                      <td>
                        <StatusBadge status={d.decision === 'approve' ? 'approved' : 'rejected'} />
                        {d.edited && (
                          <span className="badge edited-badge" title="The data was edited before approving">
                            edited
                          </span>
                        )}
                      </td>
                      <td className="mono" data-testid="decided-by">
                        {d.by}
                      </td>
                      <td className="decided-comment">
                        {d.comment ?? <span className="muted">no comment</span>}
                      </td>
                      <td className="decided-run">
                        <Link href={`/runs/${encodeURIComponent(d.runId)}`} className="mono">
                          {d.runId}
                        </Link>
                        <div className="muted">
                          {d.workflow ? (
                            <Link href={`/workflows/${encodeURIComponent(d.workflow)}`}>{d.workflow}</Link>
                          ) : (
                            <span title="The run has been pruned">pruned run</span>
                          )}
                          {' · '}
                          <code>{d.stepId}</code>
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {page.data.length === 0 && <div className="muted loading-line">No older decisions.</div>}
            <div className="row pager">
              {(cursors.length > 0 || page.next_cursor) && (
                <>
                  <button
                    type="button"
                    disabled={cursors.length === 0}
                    onClick={() => setCursors((c) => c.slice(0, -1))}
                  >
                    Newer
                  </button>
                  <button
                    type="button"
                    disabled={!page.next_cursor}
                    onClick={() => page.next_cursor && setCursors((c) => [...c, page.next_cursor as string])}
                  >
                    Older
                  </button>
                </>
              )}
              <span className="muted">
                Decisions taken through the API; a timeout's default action is in the run's history.
              </span>
            </div>
          </div>
        )
      }
    </Loaded>
  );
}
