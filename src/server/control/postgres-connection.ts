/**
 * The Postgres control store's connections: its pool (or the caller's) with its migrations applied
 * under an advisory lock of its own, and the error a lost connection becomes.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import {
  openMigratedPool,
  type PgPoolSource,
  type PgQueryRunner,
  type PgRunnerPool,
} from '../../store/postgres/pg-queries.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';

/** The subset of a `pg` client the control store uses. */
export type ControlPgQueryable = PgQueryRunner;

/** The subset of a `pg.Pool` the control store uses; a `pg.Pool` fits. */
export type ControlPgPool = PgRunnerPool;

/**
 * Advisory lock of the control store's migrations: the two-key form, apart from the engine store's
 * one-key lock; the first key spells "batc", apart from the agent store's "bata" and the gateway
 * ledger's "batg". The second key is the schema's hash.
 */
const MIGRATE_LOCK_CLASS = 0x62617463;

/** A lost connection, as the error a caller can act on. */
export function unreachable(error: unknown, unsure: string | undefined): BatonError {
  return new BatonError(
    'STORE_UNAVAILABLE',
    `the control store's database is unreachable: ${(error as Error).message}`,
    {
      hint: `Check that Postgres is up; the control store reconnects by itself${unsure ? `. ${unsure}` : ''}`,
      cause: error,
    },
  );
}

/**
 * The control store's pool (the caller's, or its own), with the schema created when missing and the
 * migrations not yet recorded in `control_migrations` applied.
 */
export function openControlPool(
  source: PgPoolSource,
  schema: string | undefined,
): Promise<{ pool: ControlPgPool; owned: boolean }> {
  return openMigratedPool(source, {
    schema,
    applicationName: 'baton-control',
    lockClass: MIGRATE_LOCK_CLASS,
    table: 'control_migrations',
    migrations: POSTGRES_MIGRATIONS,
    tooNew: {
      what: `the control store${schema === undefined ? '' : ` in schema ${schema}`}`,
      hint: 'Upgrade Baton to the version the other servers run, or point this one at another database',
    },
  });
}
