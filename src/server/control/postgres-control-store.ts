/**
 * The Postgres adapter of the {@link ControlStore} port, for API servers that share one database.
 * Tables are schema-qualified in every statement, so a caller's pool works as is. Claims never hand
 * the same delivery or trigger fire to two servers: deliveries are leased with `FOR UPDATE SKIP
 * LOCKED`, and a cron fire is a compare-and-set on the `next_fire_at` it was read with.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import { type PgPoolSource, PgQueries, quoteIdent } from '../../store/postgres/pg-queries.js';
import {
  type AttemptOutcome,
  AUDIT_COLUMNS,
  type AuditRow,
  auditWhere,
  authenticate,
  type ControlStoreOptions,
  checkAuditEntry,
  checkCursorValue,
  checkKeyFilter,
  type DeliveryClaim,
  type DeliveryQuery,
  epochMs,
  KEY_COLUMNS,
  KEY_ID_TRIES,
  type KeyRow,
  LAST_USED_EVERY_MS,
  type NewDelivery,
  type NewKey,
  type NewTrigger,
  type NewWebhook,
  newKeyRow,
  nonEmpty,
  parseApiKeySecret,
  storeClosed,
  type TriggerPatch,
  toApiKey,
  toAuditEntry,
} from './control-rows.js';
import type {
  ApiKey,
  AuditEntry,
  AuditQuery,
  ControlStore,
  CreatedApiKey,
  Delivery,
  DeliveryAttempt,
  Trigger,
  WebhookEvent,
  WebhookSubscription,
} from './port.js';
import { type ControlPgPool, openControlPool, unreachable } from './postgres-connection.js';
import { PostgresDeliveries, qualified } from './postgres-deliveries.js';
import {
  checkNextFire,
  checkTriggerFilter,
  checkTriggerPatch,
  newTriggerRow,
  TRIGGER_COLUMNS,
  type TriggerRow,
  toTrigger,
} from './trigger-rows.js';
import {
  checkOwned,
  checkSubscribersOf,
  newWebhookRow,
  toWebhook,
  WEBHOOK_COLUMNS,
  type WebhookRow,
} from './webhook-rows.js';

export type { ControlPgPool, ControlPgQueryable } from './postgres-connection.js';

/** Options of the Postgres control store: a connection string (the store owns its pool) or a pool. */
export type PostgresControlStoreOptions = ControlStoreOptions & {
  /** The schema of the store's tables, created when missing. @defaultValue the connections' `search_path` */
  schema?: string;
} & PgPoolSource;

/**
 * Opens (migrating when needed) a Postgres control store. Many processes may open one at once: one
 * migrates, the others wait for its lock and find nothing left to do.
 * @example
 * const store = await openPostgresControlStore({ connectionString: process.env.BATON_DATABASE_URL! });
 */
export async function openPostgresControlStore(options: PostgresControlStoreOptions): Promise<ControlStore> {
  const { pool, owned } = await openControlPool(options, options.schema);
  return new PostgresControlStore(pool, owned, options.schema, options.now ?? Date.now);
}

const params = (from: number, n: number) => Array.from({ length: n }, (_, i) => `$${from + i}`).join(', ');

/** The Postgres control store. */
class PostgresControlStore implements ControlStore {
  private closed = false;
  /** Statements on the pool: `query` is retried on a lost connection, `once` is not. */
  private readonly sql: PgQueries;
  private readonly t: Record<'keys' | 'audit' | 'webhooks' | 'triggers' | 'cursors', string>;
  private readonly delivery: PostgresDeliveries;

  constructor(
    private readonly pool: ControlPgPool,
    private readonly ownsPool: boolean,
    schema: string | undefined,
    private readonly now: () => number,
  ) {
    this.sql = new PgQueries(pool, { isClosed: () => this.closed, closed: storeClosed, unreachable });
    const table = (name: string) => (schema === undefined ? name : `${quoteIdent(schema)}.${name}`);
    this.t = {
      keys: table('control_keys'),
      audit: table('control_audit'),
      webhooks: table('control_webhooks'),
      triggers: table('control_triggers'),
      cursors: table('control_cursors'),
    };
    this.delivery = new PostgresDeliveries(
      this.sql,
      table('control_deliveries'),
      table('control_delivery_attempts'),
      now,
    );
  }

  private open(): void {
    if (this.closed) throw storeClosed();
  }

  async createKey(input: NewKey): Promise<CreatedApiKey> {
    this.open();
    const createdAt = this.now();
    for (let attempt = 0; attempt < KEY_ID_TRIES; attempt++) {
      const row = newKeyRow(input, createdAt);
      // Not retried: after a lost acknowledgement the key may exist while its secret is lost.
      const inserted = await this.sql.once(
        `INSERT INTO ${this.t.keys} (${KEY_COLUMNS}) VALUES (${params(1, 7)}, NULL, NULL)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        row.values,
        `Key ${row.created.key.prefix} (tenant ${row.created.key.tenant}) may have been created: revoke it`,
      );
      if (inserted.length === 1) return row.created;
    }
    throw new BatonError('INTERNAL', `no free key id after ${KEY_ID_TRIES} tries`, {
      hint: 'Retry; if it persists, the random source is broken',
    });
  }

  async findKeyBySecret(secret: string): Promise<ApiKey | undefined> {
    this.open();
    const id = parseApiKeySecret(secret);
    if (id === undefined) return undefined;
    const [row] = await this.sql.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM ${this.t.keys} WHERE id = $1`, [
      id,
    ]);
    const now = this.now();
    const found = authenticate(secret, row, now);
    if (found?.touch) {
      // Guarded by the last value, so that servers authenticating the same key at once write it once.
      await this.sql.query(
        `UPDATE ${this.t.keys} SET last_used_at = $1
         WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $1::bigint - $3::bigint)`,
        [now, id, LAST_USED_EVERY_MS],
      );
    }
    return found?.key;
  }

  async listKeys(filter?: { tenant?: string }): Promise<ApiKey[]> {
    this.open();
    const rows = await this.sql.query<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM ${this.t.keys} WHERE ($1::text IS NULL OR tenant = $1) ORDER BY created_at, id`,
      [checkKeyFilter(filter)],
    );
    return rows.map(toApiKey);
  }

  async revokeKey(tenant: string, id: string): Promise<ApiKey | undefined> {
    this.open();
    checkOwned(tenant, id);
    const [row] = await this.sql.query<KeyRow>(
      `UPDATE ${this.t.keys} SET revoked_at = coalesce(revoked_at, $1) WHERE tenant = $2 AND id = $3
       RETURNING ${KEY_COLUMNS}`,
      [this.now(), tenant, id],
    );
    return row ? toApiKey(row) : undefined;
  }

  async hasNoKeys(): Promise<boolean> {
    this.open();
    return (await this.sql.query(`SELECT 1 FROM ${this.t.keys} LIMIT 1`, [])).length === 0;
  }

  async appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry> {
    this.open();
    const checked = checkAuditEntry(entry);
    // Retried safely: the id is chosen here, so a retry after a lost acknowledgement adds nothing.
    await this.sql.query(
      `INSERT INTO ${this.t.audit} (${AUDIT_COLUMNS}) VALUES (${params(1, 7)}) ON CONFLICT (id) DO NOTHING`,
      checked.values,
    );
    return checked.entry;
  }

  async listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    this.open();
    const { where, values } = auditWhere(query, (n) => `$${n}`);
    const rows = await this.sql.query<AuditRow>(
      `SELECT ${AUDIT_COLUMNS} FROM ${this.t.audit} ${where} ORDER BY id DESC LIMIT $${values.length}`,
      values,
    );
    return rows.map(toAuditEntry);
  }

  async createWebhook(input: NewWebhook): Promise<WebhookSubscription> {
    this.open();
    const { webhook, values } = newWebhookRow(input, this.now());
    await this.sql.query(
      `INSERT INTO ${this.t.webhooks} (${WEBHOOK_COLUMNS}) VALUES (${params(1, 8)}) ON CONFLICT (id) DO NOTHING`,
      values,
    );
    return webhook;
  }

  async listWebhooks(tenant: string): Promise<WebhookSubscription[]> {
    this.open();
    const rows = await this.sql.query<WebhookRow>(
      `SELECT ${WEBHOOK_COLUMNS} FROM ${this.t.webhooks} WHERE tenant = $1 AND deleted_at IS NULL
       ORDER BY created_at, id`,
      [nonEmpty(tenant, 'tenant')],
    );
    return rows.map(toWebhook);
  }

  async getWebhook(tenant: string, id: string): Promise<WebhookSubscription | undefined> {
    this.open();
    checkOwned(tenant, id);
    const [row] = await this.sql.query<WebhookRow>(
      `SELECT ${WEBHOOK_COLUMNS} FROM ${this.t.webhooks} WHERE tenant = $1 AND id = $2`,
      [tenant, id],
    );
    return row ? toWebhook(row) : undefined;
  }

  async deleteWebhook(tenant: string, id: string): Promise<boolean> {
    this.open();
    checkOwned(tenant, id);
    // Not retried: after a lost acknowledgement a retry would find it deleted and answer false.
    const rows = await this.sql.once(
      `UPDATE ${this.t.webhooks} SET deleted_at = $1 WHERE tenant = $2 AND id = $3 AND deleted_at IS NULL
       RETURNING id`,
      [this.now(), tenant, id],
      `Webhook ${id} may or may not have been deleted: delete it again to be sure`,
    );
    return rows.length === 1;
  }

  async subscribersOf(tenant: string, event: WebhookEvent): Promise<WebhookSubscription[]> {
    this.open();
    checkSubscribersOf(tenant, event);
    return (await this.listWebhooks(tenant)).filter((w) => w.events.includes(event));
  }

  async enqueueDeliveries(deliveries: NewDelivery[]): Promise<number> {
    return this.delivery.enqueueDeliveries(deliveries);
  }

  async claimDeliveries(request: DeliveryClaim): Promise<Delivery[]> {
    return this.delivery.claimDeliveries(request);
  }

  async recordAttempt(id: string, attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<void> {
    return this.delivery.recordAttempt(id, attempt, outcome);
  }

  async listDeliveries(query: DeliveryQuery): Promise<Delivery[]> {
    return this.delivery.listDeliveries(query);
  }

  async deliveryAttempts(tenant: string, id: string): Promise<DeliveryAttempt[]> {
    return this.delivery.deliveryAttempts(tenant, id);
  }

  async redeliver(tenant: string, id: string, now: number): Promise<Delivery | undefined> {
    return this.delivery.redeliver(tenant, id, now);
  }

  async createTrigger(input: NewTrigger): Promise<Trigger> {
    this.open();
    const { trigger, values } = newTriggerRow(input, this.now());
    await this.sql.query(
      `INSERT INTO ${this.t.triggers} (${TRIGGER_COLUMNS}) VALUES (${params(1, 12)}) ON CONFLICT (id) DO NOTHING`,
      values,
    );
    return trigger;
  }

  async listTriggers(filter: { tenant?: string; type?: Trigger['type'] }): Promise<Trigger[]> {
    this.open();
    const { tenant, type } = checkTriggerFilter(filter);
    const rows = await this.sql.query<TriggerRow>(
      `SELECT ${TRIGGER_COLUMNS} FROM ${this.t.triggers}
       WHERE ($1::text IS NULL OR tenant = $1) AND ($2::text IS NULL OR type = $2) ORDER BY created_at, id`,
      [tenant, type],
    );
    return rows.map(toTrigger);
  }

  async getTrigger(tenant: string, id: string): Promise<Trigger | undefined> {
    this.open();
    checkOwned(tenant, id);
    const [row] = await this.sql.query<TriggerRow>(
      `SELECT ${TRIGGER_COLUMNS} FROM ${this.t.triggers} WHERE tenant = $1 AND id = $2`,
      [tenant, id],
    );
    return row ? toTrigger(row) : undefined;
  }

  async updateTrigger(tenant: string, id: string, patch: TriggerPatch): Promise<Trigger | undefined> {
    this.open();
    checkOwned(tenant, id);
    const p = checkTriggerPatch(patch);
    const [row] = await this.sql.query<TriggerRow>(
      `UPDATE ${this.t.triggers} SET enabled = coalesce($1, enabled), input = coalesce($2, input)
       WHERE tenant = $3 AND id = $4 RETURNING ${TRIGGER_COLUMNS}`,
      [p.enabled, p.input, tenant, id],
    );
    return row ? toTrigger(row) : undefined;
  }

  async deleteTrigger(tenant: string, id: string): Promise<boolean> {
    this.open();
    checkOwned(tenant, id);
    const rows = await this.sql.once(
      `DELETE FROM ${this.t.triggers} WHERE tenant = $1 AND id = $2 RETURNING id`,
      [tenant, id],
      `Trigger ${id} may or may not have been deleted: delete it again to be sure`,
    );
    return rows.length === 1;
  }

  async claimDueCron(now: number, next: (trigger: Trigger) => number | undefined): Promise<Trigger[]> {
    this.open();
    const due = await this.sql.query<TriggerRow>(
      `SELECT ${TRIGGER_COLUMNS} FROM ${this.t.triggers}
       WHERE type = 'cron' AND enabled AND next_fire_at <= $1 ORDER BY next_fire_at, id`,
      [epochMs(now, 'now')],
    );
    if (due.length === 0) return [];
    const plan = due.map((row) => {
      const trigger = toTrigger(row);
      return { id: trigger.id, due: trigger.nextFireAt, next: checkNextFire(next(trigger), trigger) };
    });
    // Compare-and-set on the fire time read: of servers claiming at once, one moves it and the
    // others' WHERE no longer matches. Not retried: a retry would find its own claims taken.
    const fired = await this.sql.once<TriggerRow>(
      `UPDATE ${this.t.triggers} t SET next_fire_at = p.next, last_fired_at = p.due
       FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS p(id, due, next)
       WHERE t.id = p.id AND t.next_fire_at = p.due AND t.enabled AND t.type = 'cron'
       RETURNING ${qualified(TRIGGER_COLUMNS, 't')}`,
      [plan.map((p) => p.id), plan.map((p) => p.due), plan.map((p) => p.next)],
      'Cron triggers may have been claimed without firing: their fires of this tick are lost',
    );
    return fired
      .map(toTrigger)
      .sort((a, b) => (a.lastFiredAt ?? 0) - (b.lastFiredAt ?? 0) || (a.id < b.id ? -1 : 1));
  }

  async eventTriggersFor(key: string): Promise<Trigger[]> {
    this.open();
    const rows = await this.sql.query<TriggerRow>(
      `SELECT ${TRIGGER_COLUMNS} FROM ${this.t.triggers}
       WHERE type = 'event' AND enabled AND starts_with($1, event_type) ORDER BY created_at, id`,
      [nonEmpty(key, 'key')],
    );
    return rows.map(toTrigger);
  }

  async readCursor(name: string): Promise<number> {
    this.open();
    const [row] = await this.sql.query<{ value: string }>(
      `SELECT value FROM ${this.t.cursors} WHERE name = $1`,
      [nonEmpty(name, 'cursor name')],
    );
    return row ? Number(row.value) : 0;
  }

  async advanceCursor(name: string, value: number): Promise<void> {
    this.open();
    await this.sql.query(
      `INSERT INTO ${this.t.cursors} AS c (name, value) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET value = greatest(c.value, excluded.value)`,
      [nonEmpty(name, 'cursor name'), checkCursorValue(value)],
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsPool) await this.pool.end();
  }
}
