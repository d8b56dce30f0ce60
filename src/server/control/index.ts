/**
 * What the API server keeps besides runs (API keys with roles, the audit log, webhook subscriptions
 * and their deliveries, triggers, feed cursors), behind the {@link ControlStore} port, with a SQLite
 * and a Postgres adapter.
 * @module
 */
import { join } from 'node:path';
import type { ControlStore } from './port.js';
import type { PostgresControlStoreOptions } from './postgres-control-store.js';
import { openSqliteControlStore } from './sqlite-control-store.js';

export {
  API_KEY_PREFIX,
  type AttemptOutcome,
  type ControlStoreOptions,
  DEFAULT_LIST_LIMIT,
  type DeliveryClaim,
  type DeliveryQuery,
  LAST_USED_EVERY_MS,
  type NewDelivery,
  type NewKey,
  type NewTrigger,
  type NewWebhook,
  type TriggerPatch,
} from './control-rows.js';
export {
  type ApiKey,
  type AuditEntry,
  type AuditQuery,
  type ControlStore,
  type CreatedApiKey,
  type Delivery,
  type DeliveryAttempt,
  ROLES,
  type Role,
  type Trigger,
  type WebhookEvent,
  type WebhookSubscription,
} from './port.js';
export type {
  ControlPgPool,
  ControlPgQueryable,
  PostgresControlStoreOptions,
} from './postgres-control-store.js';
export { openSqliteControlStore, type SqliteControlStoreOptions } from './sqlite-control-store.js';
export { newWebhookSecret, WEBHOOK_EVENTS } from './webhook-rows.js';

/**
 * Opens the Postgres control store (see `postgres-control-store.ts`). Loaded on first use, so a
 * server on SQLite does not carry the Postgres driver in memory.
 */
export async function openPostgresControlStore(options: PostgresControlStoreOptions): Promise<ControlStore> {
  const { openPostgresControlStore: open } = await import('./postgres-control-store.js');
  return open(options);
}

/**
 * Opens the control store beside the engine's: the same SQLite file (`<dataDir>/baton.db`) or the
 * same Postgres database and schema.
 * @example
 * const control = await openControlStore({ dataDir: '.baton' });
 */
export function openControlStore(
  where: { dataDir: string } | { databaseUrl: string; databaseSchema?: string },
): Promise<ControlStore> {
  if ('databaseUrl' in where) {
    return openPostgresControlStore({
      connectionString: where.databaseUrl,
      ...(where.databaseSchema === undefined ? {} : { schema: where.databaseSchema }),
    });
  }
  return openSqliteControlStore({ path: join(where.dataDir, 'baton.db') });
}
