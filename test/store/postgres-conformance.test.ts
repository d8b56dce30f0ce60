import { storeConformance } from '../../src/store/conformance.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { connectionTo, describePostgres, requirePostgres } from '../postgres.js';

describePostgres('postgres', () => {
  storeConformance('postgres', async (options) => {
    const db = await requirePostgres();
    const store = new PostgresStore({
      ...options,
      ...connectionTo(db),
      poolSize: 4,
    });
    return { store, cleanup: db.drop };
  });
});
