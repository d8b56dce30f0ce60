/** Migration 2: tasks know their tenant and concurrency key, so claims can be fair and limited. */
export const sql = /* sql */ `
ALTER TABLE runs ADD COLUMN concurrency_key TEXT;
ALTER TABLE runs ADD COLUMN concurrency_limit INTEGER;
ALTER TABLE tasks ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';
ALTER TABLE tasks ADD COLUMN concurrency_key TEXT;
ALTER TABLE tasks ADD COLUMN concurrency_limit INTEGER;
UPDATE tasks SET tenant = (SELECT tenant FROM runs WHERE runs.id = tasks.run_id);
CREATE INDEX tasks_ready_tenant ON tasks (tenant, priority DESC, visible_at) WHERE lease_owner IS NULL;
`;
