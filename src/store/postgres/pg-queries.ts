/**
 * Statements of the Postgres adapters that own no transaction runner (the gateway ledger, the agent
 * store, the control store): their pool, the advisory-locked migration, the errors they answer, and
 * statements retried across lost connections, or tried once when running twice would do harm.
 * @module
 */
import pg from 'pg';
import { BatonError } from '../../core/errors.js';
import { applyMigrations } from './apply-migrations.js';

/** The subset of a `pg` client these adapters use. */
export interface PgQueryRunner {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** The subset of a `pg.Pool` these adapters use; a `pg.Pool` fits. */
export interface PgRunnerPool extends PgQueryRunner {
  connect(): Promise<PgQueryRunner & { release(destroy?: Error | boolean): void }>;
  end(): Promise<void>;
}

/** Tries of an idempotent statement when connections break under it. */
const QUERY_TRIES = 3;

const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Whether the connection failed rather than the statement: a class 08 SQLSTATE, a server shutting
 * down (57P01-57P03), a socket error, or one of `pg`'s own messages for a lost connection.
 */
function isConnectionFailure(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code.startsWith('08') || /^57P0[123]$/.test(code) || CONNECTION_ERRNOS.has(code)) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|connection timeout/i.test(message);
}

/** Quotes an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The errors a {@link PgQueries} throws, worded by the adapter that owns it. */
export interface PgQueryErrors {
  /** Whether the adapter was closed: every statement then throws {@link PgQueryErrors.closed}. */
  isClosed: () => boolean;
  /** The closed adapter's answer. */
  closed: () => BatonError;
  /** A lost connection; `unsure`, when set, says what a write tried once may have done. */
  unreachable: (error: unknown, unsure: string | undefined) => BatonError;
}

/** Runs an adapter's statements on its pool, retrying those that are safe to run again. */
export class PgQueries {
  constructor(
    private readonly pool: PgRunnerPool,
    private readonly errors: PgQueryErrors,
  ) {}

  /**
   * An idempotent statement (a read, or a write that applied twice leaves what applying it once does):
   * when the connection breaks under it (a restart, a failover), it runs again on a fresh connection,
   * {@link QUERY_TRIES} times in all.
   */
  async query<R>(text: string, values: unknown[]): Promise<R[]> {
    for (let attempt = 1; ; attempt++) {
      if (this.errors.isClosed()) throw this.errors.closed();
      try {
        return (await this.pool.query(text, values)).rows as R[];
      } catch (error) {
        if (!isConnectionFailure(error)) throw error;
        if (attempt >= QUERY_TRIES) throw this.errors.unreachable(error, undefined);
        await sleep(100 * attempt);
      }
    }
  }

  /** A write that must not run twice: tried once; `unsure` tells the caller what may have happened. */
  async once<R>(text: string, values: unknown[], unsure: string): Promise<R[]> {
    if (this.errors.isClosed()) throw this.errors.closed();
    try {
      return (await this.pool.query(text, values)).rows as R[];
    } catch (error) {
      throw isConnectionFailure(error) ? this.errors.unreachable(error, unsure) : error;
    }
  }
}

/** Where {@link openMigratedPool} gets its pool: the caller's, or one it opens on a connection string. */
export type PgPoolSource =
  | {
      connectionString: string;
      pool?: undefined;
      /** Connections of the adapter's own pool. @defaultValue 4 */
      poolSize?: number | undefined;
    }
  | {
      /** A pool the caller owns: closing the adapter leaves it open. */
      pool: PgRunnerPool;
      connectionString?: undefined;
    };

/** What {@link openMigratedPool} migrates, and how. */
export interface PgMigration {
  /** The schema of the tables, created when missing. @defaultValue the connections' `search_path` */
  schema: string | undefined;
  /** Shown in `pg_stat_activity` for a pool opened here. */
  applicationName: string;
  /** The first key of the migrations' advisory lock, unique to the adapter; the second is the schema's hash. */
  lockClass: number;
  /** The table recording the applied migrations. */
  table: string;
  migrations: readonly string[];
  /** What the database holds and what to do, for the error when it holds a newer schema. */
  tooNew: { what: string; hint: string };
}

/**
 * The caller's pool, or one opened here, with the migrations applied. Many processes may open one at
 * once: one migrates, the others wait for its lock and find nothing left to do. A pool opened here is
 * closed again when migrating fails; `owned` says whether the adapter must end it when it closes.
 */
export async function openMigratedPool(
  source: PgPoolSource,
  migration: PgMigration,
): Promise<{ pool: PgRunnerPool; owned: boolean }> {
  const owned = source.pool === undefined;
  const pool =
    source.pool ?? ownPool(source.connectionString, source.poolSize ?? 4, migration.applicationName);
  try {
    await migrate(pool, migration);
  } catch (error) {
    if (owned) await pool.end().catch(() => undefined);
    throw error;
  }
  return { pool, owned };
}

function ownPool(connectionString: string, max: number, applicationName: string): PgRunnerPool {
  const pool = new pg.Pool({
    connectionString,
    max,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
    statement_timeout: 30_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection broken by a database restart: the pool drops it; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Creates the schema when missing and applies the migrations not yet recorded in `migration.table`. */
async function migrate(pool: PgRunnerPool, migration: PgMigration): Promise<void> {
  const { schema } = migration;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [migration.lockClass, schema ?? '']);
    if (schema !== undefined) {
      // Under the lock: two concurrent CREATE SCHEMA IF NOT EXISTS can still collide.
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
    }
    await applyMigrations(client, migration);
    await client.query('COMMIT');
    client.release();
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    // The connection may be broken: destroy it rather than hand it to the next caller.
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}

/**
 * The first keys of the migration locks of the adapters that own no transaction runner, by adapter:
 * the two-key form of `pg_advisory_xact_lock`, which Postgres keeps apart from the one-key (bigint)
 * form the engine's store locks with (`hashtext('baton.migrate:<schema>')`), so none of them waits for
 * another. The second key is the schema's hash.
 */
export const PG_MIGRATE_LOCK_CLASSES = {
  /** "bata": the agent store. */
  agents: 0x62617461,
  /** "batc": the control store. */
  control: 0x62617463,
  /** "batg": the gateway ledger. */
  gateway: 0x62617467,
  /** "batt": the span store. */
  telemetry: 0x62617474,
  /** "batl": the alert state. */
  alerts: 0x6261746c,
} as const;

/** A Postgres adapter's name and migrations, from which {@link pgAdapterConnection} words its errors. */
export interface PgAdapterSpec {
  /**
   * Which adapter: its migration lock's first key in {@link PG_MIGRATE_LOCK_CLASSES}; its own pool shows
   * as `baton-<adapter>` in `pg_stat_activity`.
   */
  adapter: keyof typeof PG_MIGRATE_LOCK_CLASSES;
  /** The adapter as its errors name it, e.g. `the agent store`. */
  name: string;
  /** The adapter as the lost-connection hint names it. @defaultValue {@link PgAdapterSpec.name} */
  shortName?: string;
  /** The processes that share the database, as the schema-too-new hint names them, e.g. `workers`. */
  peers: string;
  table: PgMigration['table'];
  migrations: PgMigration['migrations'];
}

/** An adapter's connections: {@link openMigratedPool} with its migrations, and its lost-connection error. */
export interface PgAdapterConnection {
  /**
   * The adapter's pool (the caller's, or its own), with the schema created when missing and the
   * migrations not yet recorded in the adapter's table applied.
   */
  openPool(source: PgPoolSource, schema: string | undefined): Promise<{ pool: PgRunnerPool; owned: boolean }>;
  /** A lost connection, as the error a caller can act on. */
  unreachable(error: unknown, unsure: string | undefined): BatonError;
}

/**
 * The connections of a Postgres adapter that owns no transaction runner, worded by `spec`.
 * @example
 * const { openPool, unreachable } = pgAdapterConnection({ name: 'the agent store', peers: 'workers', ... });
 */
export function pgAdapterConnection(spec: PgAdapterSpec): PgAdapterConnection {
  const { adapter, name, peers, table, migrations } = spec;
  return {
    openPool: (source, schema) =>
      openMigratedPool(source, {
        schema,
        applicationName: `baton-${adapter}`,
        lockClass: PG_MIGRATE_LOCK_CLASSES[adapter],
        table,
        migrations,
        tooNew: {
          what: `${name}${schema === undefined ? '' : ` in schema ${schema}`}`,
          hint: `Upgrade Baton to the version the other ${peers} run, or point this one at another database`,
        },
      }),
    unreachable: (error, unsure) =>
      new BatonError('STORE_UNAVAILABLE', `${name}'s database is unreachable: ${(error as Error).message}`, {
        hint: `Check that Postgres is up; ${spec.shortName ?? name} reconnects by itself${unsure ? `. ${unsure}` : ''}`,
        cause: error,
      }),
  };
}
