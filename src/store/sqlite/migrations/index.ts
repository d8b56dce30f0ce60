import { sql as m0001 } from './0001-init.js';
import { sql as m0002 } from './0002-fair-claims.js';
import { sql as m0003 } from './0003-approvals.js';
import { sql as m0004 } from './0004-event-tenants.js';
import { sql as m0005 } from './0005-run-stats.js';

/** Numbered, append-only migrations of the SQLite adapter; position + 1 is the schema version. */
export const MIGRATIONS: readonly string[] = [m0001, m0002, m0003, m0004, m0005];
