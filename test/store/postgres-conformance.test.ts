import { storeConformance } from '../../src/store/conformance.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { describePostgres, freshPostgres } from '../postgres.js';

describePostgres('postgres', () => {
  storeConformance('postgres', async (options) => {
    const db = await freshPostgres();
    if (!db) throw new Error('unreachable: describePostgres skips when there is no Postgres');
    const store = new PostgresStore({
      ...options,
      connectionString: db.connectionString,
      ...(db.schema === undefined ? {} : { schema: db.schema }),
      poolSize: 4,
    });
    return { store, cleanup: db.drop };
  });
});
