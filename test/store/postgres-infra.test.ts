import pg from 'pg';
import { expect, it } from 'vitest';
import { describePostgres, postgresTarget, usePostgresDatabases } from '../postgres.js';

async function connect(connectionString: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000 });
  // Dropping the database under an open connection terminates it; that is part of what is tested.
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** Tables outside the system schemas. */
async function tables(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `select table_schema || '.' || table_name as name from information_schema.tables
      where table_schema not in ('pg_catalog', 'information_schema') order by 1`,
  );
  return rows.map((r) => r.name);
}

describePostgres(`Postgres test infrastructure (${postgresTarget().kind})`, () => {
  const { database: fresh, defer } = usePostgresDatabases();

  it('gives each call its own migrated database that does not see the others', async () => {
    const a = await fresh();
    const b = await fresh();
    expect(a.connectionString).not.toBe(b.connectionString);
    const ca = await connect(a.connectionString);
    defer(() => ca.end());
    const cb = await connect(b.connectionString);
    defer(() => cb.end());

    const migrated = await tables(ca);
    expect(migrated.length, 'the migrations created no table').toBeGreaterThan(0);
    expect(await tables(cb)).toEqual(migrated);

    await ca.query('create table infra_probe (x int)');
    await ca.query('insert into infra_probe values (1)');
    expect(await tables(ca)).toContain('public.infra_probe');
    expect(await tables(cb)).not.toContain('public.infra_probe');
  });

  it('drops a database even while a connection to it is still open, and twice', async () => {
    const db = await fresh();
    const leaked = await connect(db.connectionString);
    try {
      await db.drop();
      await db.drop();
      await expect(connect(db.connectionString).then((c) => c.end())).rejects.toThrow();
    } finally {
      await leaked.end().catch(() => {});
    }
  });
});
