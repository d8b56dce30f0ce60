/**
 * Migration 3 of the Postgres adapter: tenant-scoped events. An event may belong to one tenant
 * (`NULL`: any tenant's runs may consume it), and a wait records its run's tenant. The new indexes
 * replace `events_key` and `waits_key`: a tenant's publish reads only that tenant's waits on the key,
 * and a run reaching a wait reads only its tenant's and the untenanted events on the key, each an
 * index range.
 */
export const sql = /* sql */ `
ALTER TABLE events ADD COLUMN tenant text;
CREATE INDEX events_key_tenant ON events (key, tenant, at);
DROP INDEX events_key;

ALTER TABLE waits ADD COLUMN tenant text NOT NULL DEFAULT 'default';
UPDATE waits w SET tenant = r.tenant FROM runs r WHERE r.id = w.run_id;
CREATE INDEX waits_key_tenant ON waits (key, tenant);
DROP INDEX waits_key;
`;
