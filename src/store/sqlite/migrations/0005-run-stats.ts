/**
 * Migration 5: a tenant's runs by creation and by finish time, so that `runStats` (the dashboard's
 * overview) reads one index range per figure instead of every run of every tenant; and by status, so
 * that counting its active runs reads those runs only. And a tenant's runs by id: the runs list's pages
 * (newest first, by cursor) read one index range instead of sorting every run of the tenant.
 */
export const sql = /* sql */ `
CREATE INDEX runs_tenant_created ON runs (tenant, created_at);
CREATE INDEX runs_tenant_finished ON runs (tenant, finished_at) WHERE finished_at IS NOT NULL;
-- The runs of a tenant in a status (the overview's active counts; a tenant's failed runs, newest first).
CREATE INDEX runs_tenant_status ON runs (tenant, status, id);
-- A tenant's runs, newest first: the runs list and its cursor pages.
CREATE INDEX runs_tenant_id ON runs (tenant, id);
`;
