/**
 * The Postgres agent store's connections: its pool (or the caller's) with its migrations applied under
 * an advisory lock of its own, and the error a lost connection becomes.
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

/** The subset of a `pg` client the agent store uses. */
export type AgentPgQueryable = PgQueryRunner;

/** The subset of a `pg.Pool` the agent store uses; a `pg.Pool` fits. */
export type AgentPgPool = PgRunnerPool;

/**
 * Advisory lock of the agent store's migrations: the two-key form, whose keys Postgres keeps apart
 * from the one-key form of the engine's store; the first key spells "bata", apart from the gateway
 * ledger's "batg", so the three never wait for each other. The second key is the schema's hash.
 */
const MIGRATE_LOCK_CLASS = 0x62617461;

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

/**
 * The agent store's pool (the caller's, or its own), with the schema created when missing and the
 * migrations not yet recorded in `agent_migrations` applied.
 */
export function openAgentPool(
  source: PgPoolSource,
  schema: string | undefined,
): Promise<{ pool: AgentPgPool; owned: boolean }> {
  return openMigratedPool(source, {
    schema,
    applicationName: 'baton-agents',
    lockClass: MIGRATE_LOCK_CLASS,
    table: 'agent_migrations',
    migrations: POSTGRES_MIGRATIONS,
    tooNew: {
      what: `the agent store${schema === undefined ? '' : ` in schema ${schema}`}`,
      hint: 'Upgrade Baton to the version the other workers run, or point this one at another database',
    },
  });
}
