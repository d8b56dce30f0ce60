/**
 * The Postgres agent store's connections: its pool (or the caller's), its migrations under an advisory
 * lock, and how a lost connection is told from a failed statement.
 * @module
 */
import pg from 'pg';
import { BatonError } from '../../core/errors.js';
import { applyMigrations } from '../../store/postgres/apply-migrations.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';

/** The subset of a `pg` client the agent store uses. */
export interface AgentPgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** The subset of a `pg.Pool` the agent store uses; a `pg.Pool` fits. */
export interface AgentPgPool extends AgentPgQueryable {
  connect(): Promise<AgentPgQueryable & { release(destroy?: Error | boolean): void }>;
  end(): Promise<void>;
}

/**
 * Advisory lock of the agent store's migrations: the two-key form, whose keys Postgres keeps apart
 * from the one-key form of the engine's store; the first key spells "bata", apart from the gateway
 * ledger's "batg", so the three never wait for each other. The second key is the schema's hash.
 */
const MIGRATE_LOCK_CLASS = 0x62617461;

const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * Whether the connection failed rather than the statement: a class 08 SQLSTATE, a server shutting
 * down (57P01-57P03), a socket error, or one of `pg`'s own messages for a lost connection.
 */
export function isConnectionFailure(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code.startsWith('08') || /^57P0[123]$/.test(code) || CONNECTION_ERRNOS.has(code)) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|connection timeout/i.test(message);
}

/** A lost connection, as the error a caller can act on. */
export function unreachable(error: unknown, unsure: string | undefined): BatonError {
  return new BatonError(
    'STORE_UNAVAILABLE',
    `the agent store's database is unreachable: ${(error as Error).message}`,
    {
      hint: `Check that Postgres is up; the agent store reconnects by itself${unsure ? `. ${unsure}` : ''}`,
      cause: error,
    },
  );
}

/** Quotes an SQL identifier. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function ownPool(connectionString: string, max: number): AgentPgPool {
  const pool = new pg.Pool({
    connectionString,
    max,
    application_name: 'baton-agents',
    connectionTimeoutMillis: 10_000,
    statement_timeout: 30_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection broken by a database restart: the pool drops it; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Creates the schema when missing and applies the migrations not yet recorded in `agent_migrations`. */
export async function migrate(pool: AgentPgPool, schema: string | undefined): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATE_LOCK_CLASS, schema ?? '']);
    if (schema !== undefined) {
      // Under the lock: two concurrent CREATE SCHEMA IF NOT EXISTS can still collide.
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
      await client.query(`SET LOCAL search_path TO ${ident(schema)}`);
    }
    await applyMigrations(client, {
      table: 'agent_migrations',
      migrations: POSTGRES_MIGRATIONS,
      tooNew: {
        what: `the agent store${schema === undefined ? '' : ` in schema ${schema}`}`,
        hint: 'Upgrade Baton to the version the other workers run, or point this one at another database',
      },
    });
    await client.query('COMMIT');
    client.release();
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    // The connection may be broken: destroy it rather than hand it to the next caller.
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}
