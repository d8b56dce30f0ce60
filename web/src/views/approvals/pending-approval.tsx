/** One waiting approval in the inbox: what it asks, its age against its SLA, and the decision form. */
import { useState } from 'react';
import { Link } from 'wouter';
import { useApiGet, useApiPost } from '../../api/hooks';
import { formatTime } from '../../components/format';
import { ErrorBox, JsonView, Loaded } from '../../components/ui';
import { type ApprovalContext, type PendingApproval, slaLevel, slaOf } from './approval-types';

/** `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`: a span, compact. */
export function formatSpan(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** The age of an approval against its SLA: a bar that turns amber near the deadline and red past it. */
export function AgeBar(props: { approval: PendingApproval; ageMs: number }) {
  const { approval, ageMs } = props;
  const sla = slaOf(approval);
  if (!sla) {
    return (
      <div className="age-bar-row">
        <span className="age-label">
          Waiting <strong title={formatTime(approval.since)}>{formatSpan(ageMs)}</strong>
        </span>
        <span className="muted">no SLA: it waits until someone decides</span>
      </div>
    );
  }
  const level = slaLevel(ageMs, sla.budgetMs);
  const ratio = sla.budgetMs > 0 ? Math.min(1, ageMs / sla.budgetMs) : 1;
  const left = sla.budgetMs - ageMs;
  return (
    <div className="age-bar-row" data-testid="age-bar" data-level={level}>
      <span className="age-label">
        Waiting <strong title={formatTime(approval.since)}>{formatSpan(ageMs)}</strong> of{' '}
        {formatSpan(sla.budgetMs)}
      </span>
      <div className="age-bar" aria-hidden="true">
        <div className={`age-fill age-${level}`} style={{ width: `${Math.max(2, ratio * 100)}%` }} />
      </div>
      <span className={`age-then age-text-${level}`} title={formatTime(approval.since + sla.budgetMs)}>
        {left > 0
          ? `${sla.outcome} in ${formatSpan(left)}`
          : `overdue by ${formatSpan(-left)}: ${sla.outcome}`}
      </span>
    </div>
  );
}

/** What the run had done before the approval: its input and its completed steps' outputs. */
function ApprovalContextView(props: { runId: string; stepId: string }) {
  const query = useApiGet<ApprovalContext>(
    `/v1/approvals/${encodeURIComponent(props.runId)}/${encodeURIComponent(props.stepId)}`,
  );
  return (
    <Loaded query={query}>
      {(ctx) => (
        <div className="grid grid-2 approval-context">
          <div>
            <h3>Run input</h3>
            <JsonView value={ctx.run.input} maxChars={20_000} />
          </div>
          <div>
            <h3>Completed steps ({Object.keys(ctx.completed).length})</h3>
            {Object.keys(ctx.completed).length === 0 ? (
              <div className="muted">No step has completed before this approval.</div>
            ) : (
              <JsonView value={ctx.completed} maxChars={20_000} />
            )}
          </div>
        </div>
      )}
    </Loaded>
  );
}

interface DecideVars {
  decision: 'approve' | 'reject';
  comment: string;
  data?: unknown;
}

interface ReassignVars {
  assignee: string;
  role: string;
  comment: string;
}

/**
 * A pending approval: the prompt, the data to judge, the run it belongs to, its age against its SLA,
 * and (when the key may) approve, reject, edit and approve, and reassign.
 */
export function PendingApprovalItem(props: {
  approval: PendingApproval;
  ageMs: number;
  canDecide: boolean;
  canReassign: boolean;
  roleNames: string;
  onDone: (message: string) => void;
}) {
  const { approval: a, canDecide, canReassign } = props;
  const base = `/v1/approvals/${encodeURIComponent(a.runId)}/${encodeURIComponent(a.stepId)}`;
  const [comment, setComment] = useState('');
  const [editing, setEditing] = useState(false);
  const [dataText, setDataText] = useState('');
  const [reassigning, setReassigning] = useState(false);
  const [assignee, setAssignee] = useState(a.request.assignee ?? '');
  const [role, setRole] = useState(a.request.role ?? '');
  const [showContext, setShowContext] = useState(false);

  const decide = useApiPost<DecideVars>(
    () => `${base}/decide`,
    (v) => ({
      decision: v.decision,
      ...(v.comment.trim() ? { comment: v.comment.trim() } : {}),
      ...(v.data === undefined ? {} : { data: v.data }),
    }),
  );
  const reassign = useApiPost<ReassignVars>(
    () => `${base}/reassign`,
    (v) => ({
      ...(v.assignee.trim() ? { assignee: v.assignee.trim() } : {}),
      ...(v.role.trim() ? { role: v.role.trim() } : {}),
      ...(v.comment.trim() ? { comment: v.comment.trim() } : {}),
    }),
  );

  let parsed: { ok: true; value: unknown } | { ok: false; error: string } = { ok: true, value: undefined };
  if (editing) {
    try {
      parsed = { ok: true, value: JSON.parse(dataText) };
    } catch (err) {
      parsed = { ok: false, error: (err as Error).message };
    }
  }
  // Once decided, the item stays until the inbox refreshes: no second click can race the first.
  const busy = decide.isPending || reassign.isPending || decide.isSuccess;
  const send = (vars: DecideVars, done: string) =>
    decide.mutate(vars, { onSuccess: () => props.onDone(`${done} ${a.stepId} of run ${a.runId}`) });
  const startEditing = () => {
    setDataText(JSON.stringify(a.request.data ?? null, null, 2));
    setEditing(true);
  };

  return (
    <article
      className="card approval-item"
      data-testid="approval-item"
      data-run-id={a.runId}
      data-step-id={a.stepId}
    >
      <header className="approval-head">
        <div>
          <div className="approval-title">{a.request.prompt}</div>
          <div className="muted approval-where">
            <Link href={`/workflows/${encodeURIComponent(a.workflow)}`}>{a.workflow}</Link>
            {' · step '}
            <code>{a.stepId}</code>
            {' · run '}
            <Link href={`/runs/${encodeURIComponent(a.runId)}`} className="mono">
              {a.runId}
            </Link>
          </div>
        </div>
        <div className="approval-assigned">
          {a.request.escalation?.escalated && (
            <span
              className="badge status-amber"
              title="The SLA passed and the approval moved to its escalation"
            >
              escalated
            </span>
          )}
          {a.request.role && <span className="badge">role {a.request.role}</span>}
          {a.request.assignee && <span className="badge">assignee {a.request.assignee}</span>}
          {!a.request.role && !a.request.assignee && <span className="muted">anyone who may decide</span>}
        </div>
      </header>
      <AgeBar approval={a} ageMs={props.ageMs} />
      <div className="approval-body">
        <div className="approval-data">
          <h3>Data to judge</h3>
          {a.request.data === undefined ? (
            <div className="muted">No data: the step asks for a yes or a no.</div>
          ) : (
            <JsonView value={a.request.data} maxChars={20_000} />
          )}
          <div className="muted approval-reject-note">
            On reject the step {a.request.onReject === 'fail' ? 'fails (and the run with it)' : 'continues'}.
          </div>
        </div>
        <div className="approval-actions">
          {canDecide ? (
            <>
              <label>
                Comment
                <textarea
                  name="comment"
                  value={comment}
                  onChange={(e) => setComment(e.target.value)}
                  placeholder="Optional; recorded with the decision"
                  rows={2}
                />
              </label>
              {editing && (
                <label>
                  Data the step continues with (JSON)
                  <textarea
                    name="data"
                    value={dataText}
                    onChange={(e) => setDataText(e.target.value)}
                    rows={Math.min(16, Math.max(4, dataText.split('\n').length))}
                    aria-invalid={!parsed.ok}
                  />
                  {!parsed.ok && <span className="error-inline">Not valid JSON: {parsed.error}</span>}
                </label>
              )}
              <div className="row">
                {editing ? (
                  <>
                    <button
                      type="button"
                      className="primary"
                      disabled={busy || !parsed.ok}
                      onClick={() =>
                        parsed.ok &&
                        send({ decision: 'approve', comment, data: parsed.value }, 'Approved with edits')
                      }
                    >
                      Approve edited data
                    </button>
                    <button type="button" disabled={busy} onClick={() => setEditing(false)}>
                      Cancel edit
                    </button>
                  </>
                ) : (
                  <>
                    <button
                      type="button"
                      className="primary"
                      disabled={busy}
                      onClick={() => send({ decision: 'approve', comment }, 'Approved')}
                    >
                      Approve
                    </button>
                    <button type="button" disabled={busy} onClick={startEditing}>
                      Edit and approve
                    </button>
                  </>
                )}
                <button
                  type="button"
                  className="danger"
                  disabled={busy}
                  onClick={() => send({ decision: 'reject', comment }, 'Rejected')}
                >
                  Reject
                </button>
                {canReassign && !reassigning && (
                  <button type="button" className="link" onClick={() => setReassigning(true)}>
                    Reassign…
                  </button>
                )}
              </div>
              {reassigning && (
                <div className="reassign-form row">
                  <label>
                    Assignee
                    <input name="assignee" value={assignee} onChange={(e) => setAssignee(e.target.value)} />
                  </label>
                  <label>
                    Role
                    <input name="role" value={role} onChange={(e) => setRole(e.target.value)} />
                  </label>
                  <button
                    type="button"
                    disabled={busy || (!assignee.trim() && !role.trim())}
                    onClick={() =>
                      reassign.mutate(
                        { assignee, role, comment },
                        {
                          onSuccess: () => {
                            setReassigning(false);
                            props.onDone(`Reassigned ${a.stepId} of run ${a.runId}`);
                          },
                        },
                      )
                    }
                  >
                    Reassign
                  </button>
                  <button type="button" className="link" onClick={() => setReassigning(false)}>
                    Cancel
                  </button>
                </div>
              )}
              {decide.isSuccess && (
                <div className="muted" role="status">
                  Decided; the inbox is refreshing.
                </div>
              )}
              {decide.error && <ErrorBox error={decide.error} />}
              {reassign.error && <ErrorBox error={reassign.error} />}
            </>
          ) : (
            <div className="muted read-only-item">
              Read-only: your role ({props.roleNames}) cannot decide approvals.
            </div>
          )}
        </div>
      </div>
      <button
        type="button"
        className="link context-toggle"
        aria-expanded={showContext}
        onClick={() => setShowContext((s) => !s)}
      >
        {showContext ? 'Hide context' : 'Show context (run input, completed steps)'}
      </button>
      {showContext && <ApprovalContextView runId={a.runId} stepId={a.stepId} />}
    </article>
  );
}
