/**
 * Migration 4: tenant-scoped events. An event may belong to one tenant (`NULL`: any tenant's runs may
 * consume it), and a wait records its run's tenant. The new indexes replace `events_key` and
 * `waits_key`: a tenant's publish reads only that tenant's waits on the key, and a run reaching a wait
 * reads only its tenant's and the untenanted events on the key, each an index range.
 */
export const sql = /* sql */ `
ALTER TABLE events ADD COLUMN tenant TEXT;
CREATE INDEX events_key_tenant ON events (key, tenant, at);
DROP INDEX events_key;

ALTER TABLE waits ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';
UPDATE waits SET tenant = COALESCE((SELECT tenant FROM runs WHERE runs.id = waits.run_id), 'default');
CREATE INDEX waits_key_tenant ON waits (key, tenant);
DROP INDEX waits_key;
`;
