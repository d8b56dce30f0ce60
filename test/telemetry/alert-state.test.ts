/** The alert state adapters: the conformance suite on SQLite (one file, two handles) and on Postgres. */
import { join } from 'node:path';
import { openPostgresAlertState } from '../../src/telemetry/alerts/postgres-alert-state.js';
import { openSqliteAlertState } from '../../src/telemetry/alerts/sqlite-alert-state.js';
import { alertStateConformance } from '../../src/telemetry/alerts/state-conformance.js';
import { connectionTo, describePostgres, requirePostgres } from '../postgres.js';
import { tempDir } from '../temp-dir.js';

alertStateConformance('sqlite', async () => {
  const { dir, cleanup } = tempDir('baton-alerts-');
  return { open: async () => openSqliteAlertState({ path: join(dir, 'baton.db') }), cleanup };
});

describePostgres('postgres alert state', () => {
  alertStateConformance('postgres', async () => {
    const db = await requirePostgres();
    return { open: () => openPostgresAlertState(connectionTo(db)), cleanup: db.drop };
  });
});
