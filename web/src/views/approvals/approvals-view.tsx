/**
 * The approvals inbox (`/approvals`): approvals waiting for a decision, oldest first, with their age
 * against their SLA, and the decisions already taken. Deciding is offered only to keys whose roles
 * may call `approvals.decide`; others see the inbox read-only.
 */
import { useEffect, useState } from 'react';
import { useApiGet } from '../../api/hooks';
import { useSession } from '../../auth/session';
import { Loaded, Page } from '../../components/ui';
import type { ListPage, PendingApproval } from './approval-types';
import { DecidedApprovals } from './decided-approvals';
import { PendingApprovalItem } from './pending-approval';
import './approvals.css';

const REFRESH_MS = 3000;
const PAGE = 100;
const MAX_PAGE = 500;

/** Re-renders every `ms` so that ages advance between refreshes. */
function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** The approvals inbox: a "Pending" tab to decide, and a "Decided" tab with who decided what. */
export function ApprovalsView() {
  const session = useSession();
  const [tab, setTab] = useState<'pending' | 'decided'>('pending');
  const [workflow, setWorkflow] = useState('');
  const [role, setRole] = useState('');
  const [roleDraft, setRoleDraft] = useState('');
  const [limit, setLimit] = useState(PAGE);
  const [flash, setFlash] = useState<string | undefined>();
  const now = useNow(1000);
  const pending = useApiGet<ListPage<PendingApproval>>(
    '/v1/approvals',
    { limit, workflow, role },
    { refetchMs: REFRESH_MS },
  );
  const workflows = useApiGet<{ data: { workflow: string }[] }>('/v1/workflows');
  const canDecide = session.can('approvals.decide');
  const canReassign = session.can('approvals.reassign');

  useEffect(() => {
    if (!flash) return;
    const timer = setTimeout(() => setFlash(undefined), 6000);
    return () => clearTimeout(timer);
  }, [flash]);

  // Ages come from the server's clock; only the time since the answer is added locally.
  const elapsed = Math.max(0, now - pending.dataUpdatedAt);
  const count = pending.data?.data.length;

  return (
    <Page title="Approvals" testId="approvals-view">
      <div className="tabs" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'pending'}
          className={tab === 'pending' ? 'active' : ''}
          onClick={() => setTab('pending')}
        >
          Pending{count === undefined ? '' : ` (${count}${pending.data?.next_cursor ? '+' : ''})`}
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'decided'}
          className={tab === 'decided' ? 'active' : ''}
          onClick={() => setTab('decided')}
        >
          Decided
        </button>
      </div>
      {flash && (
        <div className="flash" role="status">
          {flash}
        </div>
      )}
      {tab === 'decided' ? (
        <DecidedApprovals />
      ) : (
        <>
          <div className="row approvals-toolbar">
            <label>
              Workflow
              <select value={workflow} onChange={(e) => setWorkflow(e.target.value)}>
                <option value="">All workflows</option>
                {workflows.data?.data.map((w) => (
                  <option key={w.workflow} value={w.workflow}>
                    {w.workflow}
                  </option>
                ))}
              </select>
            </label>
            <form
              className="role-filter"
              onSubmit={(e) => {
                e.preventDefault();
                setRole(roleDraft.trim());
              }}
            >
              <label>
                Decider role
                <input
                  name="role-filter"
                  value={roleDraft}
                  placeholder="any (e.g. finance)"
                  onChange={(e) => setRoleDraft(e.target.value)}
                  onBlur={() => setRole(roleDraft.trim())}
                />
              </label>
            </form>
            <span className="muted toolbar-note">Oldest first · refreshed every {REFRESH_MS / 1000} s</span>
          </div>
          {!canDecide && (
            <div className="read-only-note" data-testid="read-only-note">
              Read-only: your role ({session.roles.join(', ')}) cannot decide approvals. Deciding needs the
              approver or admin role.
            </div>
          )}
          <Loaded query={pending}>
            {(page) =>
              page.data.length === 0 ? (
                <div className="card empty-state" data-testid="approvals-empty">
                  No approvals are waiting{workflow ? ` in ${workflow}` : ''}
                  {role ? ` for role ${role}` : ''}. An approval step of a run appears here as soon as it
                  starts waiting: for example a run of <code>invoice-processing</code> whose total is over
                  1,000 (<code>baton run invoice-processing -i @invoice.json</code>).
                </div>
              ) : (
                <>
                  {page.data.map((a) => (
                    <PendingApprovalItem
                      key={`${a.runId}/${a.stepId}`}
                      approval={a}
                      ageMs={a.ageMs + elapsed}
                      canDecide={canDecide}
                      canReassign={canReassign}
                      roleNames={session.roles.join(', ')}
                      onDone={setFlash}
                    />
                  ))}
                  {page.next_cursor && (
                    <div className="row pager">
                      <span className="muted">Showing the {page.data.length} oldest.</span>
                      {limit < MAX_PAGE ? (
                        <button type="button" onClick={() => setLimit((l) => Math.min(MAX_PAGE, l + PAGE))}>
                          Show more
                        </button>
                      ) : (
                        <span className="muted">Filter by workflow to see the others.</span>
                      )}
                    </div>
                  )}
                </>
              )
            }
          </Loaded>
        </>
      )}
    </Page>
  );
}
