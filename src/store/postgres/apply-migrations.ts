/**
 * Applying numbered, append-only migrations on Postgres, as the engine store and the gateway ledger
 * both do: inside the caller's transaction, after it took its advisory lock, so that many processes
 * starting at once migrate once.
 * @module
 */
import { BatonError } from '../../core/errors.js';

/** The query runner the migrations need: a client inside an open transaction. */
export interface MigrationClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * Applies the migrations after the last one recorded in `table`, recording each.
 * @throws BatonError `STORE_SCHEMA_TOO_NEW` when `table` records more migrations than this Baton has
 */
export async function applyMigrations(
  client: MigrationClient,
  options: { table: string; migrations: readonly string[]; tooNew: { what: string; hint: string } },
): Promise<void> {
  const { table, migrations } = options;
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${table} (version integer PRIMARY KEY, migrated_at bigint NOT NULL)`,
  );
  const { rows } = await client.query(`SELECT max(version) AS v FROM ${table}`);
  const current = Number((rows[0] as { v: number | null } | undefined)?.v ?? 0);
  if (current > migrations.length) {
    throw new BatonError(
      'STORE_SCHEMA_TOO_NEW',
      `${options.tooNew.what} has schema version ${current}, newer than this Baton (${migrations.length})`,
      { hint: options.tooNew.hint },
    );
  }
  for (let v = current; v < migrations.length; v++) {
    await client.query(migrations[v] as string);
    await client.query(`INSERT INTO ${table} (version, migrated_at) VALUES ($1, $2)`, [v + 1, Date.now()]);
  }
}
