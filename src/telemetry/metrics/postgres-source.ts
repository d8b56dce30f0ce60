/**
 * The Postgres adapter of the {@link MetricsSource}: a pool of its own (two connections at most), so a
 * scrape never takes a connection the engine needs. Tables are named with their schema.
 * @module
 */
import pg from 'pg';
import { quoteIdent } from '../../store/postgres/pg-queries.js';
import type { MetricsSource } from './source.js';
import { SqlMetricsSource } from './sql-source.js';

/** Where the engine's tables are. */
export interface PostgresMetricsOptions {
  connectionString: string;
  /** @defaultValue the connection's (`public`) */
  schema?: string;
  /** Statements running longer are cancelled, so a slow scrape never piles up. @defaultValue 10000 */
  statementTimeoutMs?: number;
}

/** Opens a metrics source on the Postgres database (and schema) of the engine. */
export function openPostgresMetricsSource(options: PostgresMetricsOptions): MetricsSource {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: 2,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
  });
  // An idle client's error (the server restarting) must not crash the process; the next scrape reconnects.
  pool.on('error', () => undefined);
  const schema = options.schema;
  let closed = false;
  return new SqlMetricsSource({
    all: async (sql, params) => {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      return (await pool.query(text, [...params])).rows as Record<string, unknown>[];
    },
    table: (name) => (schema === undefined ? name : `${quoteIdent(schema)}.${name}`),
    jsonText: (column, field) => `(${column}::jsonb ->> '${field}')`,
    hasTable: async (name) => {
      const { rows } = await pool.query(
        `SELECT 1 FROM information_schema.tables WHERE table_name = $1 AND table_schema = COALESCE($2, current_schema())`,
        [name, schema ?? null],
      );
      return rows.length > 0;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  });
}
