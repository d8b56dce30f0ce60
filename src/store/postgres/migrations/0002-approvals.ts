/**
 * Migration 2 of the Postgres adapter: the approvals inbox (one row per approval step waiting for a
 * decision, kept by the transaction that changes the step) and the feed's index by event type.
 */
export const sql = /* sql */ `
CREATE TABLE approvals (
  run_id text NOT NULL,
  step_id text NOT NULL,
  tenant text NOT NULL,
  workflow text NOT NULL,
  version_id text NOT NULL,
  since bigint NOT NULL,
  assignee text,
  role text,
  escalation_due_at bigint,
  request text NOT NULL,
  PRIMARY KEY (run_id, step_id)
);
CREATE INDEX approvals_since ON approvals (since, run_id, step_id);
CREATE INDEX approvals_tenant ON approvals (tenant, since, run_id, step_id);
CREATE INDEX approvals_workflow ON approvals (workflow, since, run_id, step_id);
CREATE INDEX approvals_assignee ON approvals (assignee, since, run_id, step_id) WHERE assignee IS NOT NULL;
CREATE INDEX approvals_role ON approvals (role, since, run_id, step_id) WHERE role IS NOT NULL;
CREATE INDEX approvals_escalation ON approvals (escalation_due_at) WHERE escalation_due_at IS NOT NULL;

INSERT INTO approvals (run_id, step_id, tenant, workflow, version_id, since, assignee, role, escalation_due_at, request)
  SELECT s.run_id, s.step_id, r.tenant, r.workflow, r.version_id, COALESCE(s.started_at, r.created_at),
         s.wait::jsonb #>> '{approval,assignee}', s.wait::jsonb #>> '{approval,role}', NULL,
         (s.wait::jsonb -> 'approval')::text
    FROM steps s JOIN runs r ON r.id = s.run_id
   WHERE s.status = 'waiting' AND s.wait::jsonb ->> 'type' = 'approval';

-- A feed reader filtering on a few types reads only those, however far behind its cursor is.
CREATE INDEX history_type ON history (type, seq);
`;
