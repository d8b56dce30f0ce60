/**
 * Migration 3: the approvals inbox (one row per approval step waiting for a decision, kept by the
 * transaction that changes the step) and the feed's index by event type.
 */
export const sql = /* sql */ `
CREATE TABLE approvals (
  run_id TEXT NOT NULL,
  step_id TEXT NOT NULL,
  tenant TEXT NOT NULL,
  workflow TEXT NOT NULL,
  version_id TEXT NOT NULL,
  since INTEGER NOT NULL,
  assignee TEXT,
  role TEXT,
  escalation_due_at INTEGER,
  request TEXT NOT NULL,
  PRIMARY KEY (run_id, step_id)
) WITHOUT ROWID;
CREATE INDEX approvals_since ON approvals (since, run_id, step_id);
CREATE INDEX approvals_tenant ON approvals (tenant, since, run_id, step_id);
CREATE INDEX approvals_workflow ON approvals (workflow, since, run_id, step_id);
CREATE INDEX approvals_assignee ON approvals (assignee, since, run_id, step_id) WHERE assignee IS NOT NULL;
CREATE INDEX approvals_role ON approvals (role, since, run_id, step_id) WHERE role IS NOT NULL;
CREATE INDEX approvals_escalation ON approvals (escalation_due_at) WHERE escalation_due_at IS NOT NULL;

INSERT INTO approvals (run_id, step_id, tenant, workflow, version_id, since, assignee, role, escalation_due_at, request)
  SELECT s.run_id, s.step_id, r.tenant, r.workflow, r.version_id, COALESCE(s.started_at, r.created_at),
         json_extract(s.wait, '$.approval.assignee'), json_extract(s.wait, '$.approval.role'), NULL,
         json_extract(s.wait, '$.approval')
    FROM steps s JOIN runs r ON r.id = s.run_id
   WHERE s.status = 'waiting' AND json_extract(s.wait, '$.type') = 'approval';

-- A feed reader filtering on a few types reads only those, however far behind its cursor is.
CREATE INDEX history_type ON history (type, seq);
`;
