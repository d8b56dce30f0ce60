/**
 * The Postgres agent store's connections: its pool (or the caller's) with its migrations applied
 * under an advisory lock of its own, and the error a lost connection becomes.
 * @module
 */
import { pgAdapterConnection } from '../../store/postgres/pg-queries.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';

export type {
  /** The subset of a `pg` client the agent store uses. */
  PgQueryRunner as AgentPgQueryable,
  /** The subset of a `pg.Pool` the agent store uses; a `pg.Pool` fits. */
  PgRunnerPool as AgentPgPool,
} from '../../store/postgres/pg-queries.js';

/**
 * `openAgentPool`: the agent store's pool, migrated in `agent_migrations`; `unreachable`: a lost
 * connection, as the error a caller can act on.
 */
export const { openPool: openAgentPool, unreachable } = pgAdapterConnection({
  adapter: 'agents',
  name: 'the agent store',
  peers: 'workers',
  table: 'agent_migrations',
  migrations: POSTGRES_MIGRATIONS,
});
