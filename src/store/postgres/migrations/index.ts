import { sql as m0001 } from './0001-init.js';
import { sql as m0002 } from './0002-approvals.js';
import { sql as m0003 } from './0003-event-tenants.js';
import { sql as m0004 } from './0004-run-stats.js';

/** Numbered, append-only migrations of the Postgres adapter; position + 1 is the schema version. */
export const MIGRATIONS: readonly string[] = [m0001, m0002, m0003, m0004];
