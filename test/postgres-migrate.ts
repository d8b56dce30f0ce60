import { PostgresStore } from '../src/store/postgres/postgres-store.js';

/**
 * Applies the Postgres adapter's migrations to a database (or to `schema` in it) the way a user's
 * process would: through {@link PostgresStore.init}, then closes the store.
 */
export async function migratePostgres(connectionString: string, schema?: string): Promise<void> {
  const store = new PostgresStore(schema === undefined ? { connectionString } : { connectionString, schema });
  try {
    await store.init();
  } finally {
    await store.close();
  }
}
