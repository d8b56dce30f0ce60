/**
 * What agents keep durably (step journals, run memory, long-term memory, the audit trail), behind the
 * {@link AgentStore} port, with a SQLite and a Postgres adapter and a tool-audit sink writing to it.
 * @module
 */
export { type AgentStoreOptions, DEFAULT_LIST_LIMIT } from './agent-rows.js';
export { cosine, DEFAULT_RECALL_LIMIT } from './memory-rows.js';
// The port holds only the contract's types, all of them public.
export type * from './port.js';

import type { AgentStore } from './port.js';
import type { PostgresAgentStoreOptions } from './postgres-agent-store.js';

export type { AgentPgPool, AgentPgQueryable, PostgresAgentStoreOptions } from './postgres-agent-store.js';

/**
 * Opens the Postgres agent store (see `postgres-agent-store.ts`). Loaded on first use, so a worker on
 * SQLite does not carry the Postgres driver in memory.
 */
export async function openPostgresAgentStore(options: PostgresAgentStoreOptions): Promise<AgentStore> {
  const { openPostgresAgentStore: open } = await import('./postgres-agent-store.js');
  return open(options);
}
export { openSqliteAgentStore, type SqliteAgentStoreOptions } from './sqlite-agent-store.js';
export { StoreToolAuditSink, type StoreToolAuditSinkOptions, toolAuditRow } from './store-audit-sink.js';
