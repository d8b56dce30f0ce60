/**
 * The Postgres control store's connections: its pool (or the caller's) with its migrations applied
 * under an advisory lock of its own, and the error a lost connection becomes.
 * @module
 */
import { pgAdapterConnection } from '../../store/postgres/pg-queries.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';

export type {
  /** The subset of a `pg` client the control store uses. */
  PgQueryRunner as ControlPgQueryable,
  /** The subset of a `pg.Pool` the control store uses; a `pg.Pool` fits. */
  PgRunnerPool as ControlPgPool,
} from '../../store/postgres/pg-queries.js';

/**
 * `openControlPool`: the control store's pool, migrated in `control_migrations`; `unreachable`: a lost
 * connection, as the error a caller can act on.
 */
export const { openPool: openControlPool, unreachable } = pgAdapterConnection({
  adapter: 'control',
  name: 'the control store',
  peers: 'servers',
  table: 'control_migrations',
  migrations: POSTGRES_MIGRATIONS,
});
