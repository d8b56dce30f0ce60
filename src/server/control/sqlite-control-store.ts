/**
 * The embedded SQLite adapter of the {@link ControlStore} port, on better-sqlite3 in WAL mode. It
 * shares `.baton/baton.db` with the engine's store: its tables are prefixed `control_` and its
 * migrations are tracked in `control_migrations`, not in `user_version` (which the engine's store
 * owns). Claims run in `BEGIN IMMEDIATE` transactions, so processes sharing the file never claim the
 * same delivery or trigger fire twice.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import { openSqliteFile, type SqliteFile } from '../../store/sqlite/open-sqlite-file.js';
import type { SqliteDatabase, SqliteStatement } from '../../store/sqlite/sqlite-driver.js';
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
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';
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
  type AttemptRow,
  checkAttempt,
  checkClaim,
  checkOwned,
  checkSubscribersOf,
  DELIVERY_COLUMNS,
  type DeliveryRow,
  deliveryWhere,
  newDeliveryRows,
  newWebhookRow,
  toAttempt,
  toDelivery,
  toWebhook,
  WEBHOOK_COLUMNS,
  type WebhookRow,
} from './webhook-rows.js';

/** Options of the SQLite control store. */
export type SqliteControlStoreOptions = ControlStoreOptions & SqliteFile;

/**
 * Opens (creating and migrating when needed) a SQLite control store.
 * @example
 * const store = await openSqliteControlStore({ path: '.baton/baton.db' });
 * const { secret } = await store.createKey({ tenant: 'acme', name: 'ci', roles: ['developer'] });
 */
export async function openSqliteControlStore(options: SqliteControlStoreOptions): Promise<ControlStore> {
  const db = openSqliteFile(options, {
    synchronous: 'FULL',
    table: 'control_migrations',
    migrations: SQLITE_MIGRATIONS,
    name: 'the control store',
  });
  return new SqliteControlStore(db, options.now ?? Date.now);
}

/** better-sqlite3 binds no booleans: they go in as 0 and 1. */
const bindable = (values: unknown[]) => values.map((v) => (typeof v === 'boolean' ? Number(v) : v));

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** The SQLite control store. Statements are prepared once, on first use; every write is one transaction. */
class SqliteControlStore implements ControlStore {
  private closed = false;
  private readonly statements = new Map<string, SqliteStatement>();

  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => number,
  ) {}

  /** The prepared statement of `sql`; throws `STORE_UNAVAILABLE` once the store is closed. */
  private sql(sql: string): SqliteStatement {
    if (this.closed) throw storeClosed();
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `fn` in a `BEGIN IMMEDIATE` transaction: it takes the write lock before reading. */
  private immediate<T>(fn: () => T): T {
    if (this.closed) throw storeClosed();
    return this.db.transaction(fn).immediate();
  }

  async createKey(input: NewKey): Promise<CreatedApiKey> {
    const createdAt = this.now();
    for (let attempt = 0; attempt < KEY_ID_TRIES; attempt++) {
      const row = newKeyRow(input, createdAt);
      const { changes } = this.sql(
        `INSERT INTO control_keys (${KEY_COLUMNS}) VALUES (${placeholders(7)}, NULL, NULL) ON CONFLICT (id) DO NOTHING`,
      ).run(...row.values);
      if (changes === 1) return row.created;
    }
    throw new BatonError('INTERNAL', `no free key id after ${KEY_ID_TRIES} tries`, {
      hint: 'Retry; if it persists, the random source is broken',
    });
  }

  async findKeyBySecret(secret: string): Promise<ApiKey | undefined> {
    if (this.closed) throw storeClosed();
    const id = parseApiKeySecret(secret);
    if (id === undefined) return undefined;
    const row = this.sql(`SELECT ${KEY_COLUMNS} FROM control_keys WHERE id = ?`).get(id) as
      | KeyRow
      | undefined;
    const now = this.now();
    const found = authenticate(secret, row, now);
    if (found?.touch) this.sql('UPDATE control_keys SET last_used_at = ? WHERE id = ?').run(now, id);
    return found?.key;
  }

  async listKeys(filter?: { tenant?: string }): Promise<ApiKey[]> {
    const tenant = checkKeyFilter(filter);
    const rows = this.sql(
      `SELECT ${KEY_COLUMNS} FROM control_keys WHERE (? IS NULL OR tenant = ?) ORDER BY created_at, id`,
    ).all(tenant, tenant) as KeyRow[];
    return rows.map(toApiKey);
  }

  async revokeKey(tenant: string, id: string): Promise<ApiKey | undefined> {
    checkOwned(tenant, id);
    const row = this.sql(
      `UPDATE control_keys SET revoked_at = coalesce(revoked_at, ?) WHERE tenant = ? AND id = ? RETURNING ${KEY_COLUMNS}`,
    ).get(this.now(), tenant, id) as KeyRow | undefined;
    return row ? toApiKey(row) : undefined;
  }

  async hasNoKeys(): Promise<boolean> {
    return this.sql('SELECT 1 FROM control_keys LIMIT 1').get() === undefined;
  }

  async appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry> {
    const checked = checkAuditEntry(entry);
    this.sql(`INSERT INTO control_audit (${AUDIT_COLUMNS}) VALUES (${placeholders(7)})`).run(
      ...checked.values,
    );
    return checked.entry;
  }

  async listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const { where, values } = auditWhere(query, () => '?');
    const rows = this.sql(`SELECT ${AUDIT_COLUMNS} FROM control_audit ${where} ORDER BY id DESC LIMIT ?`).all(
      ...values,
    ) as AuditRow[];
    return rows.map(toAuditEntry);
  }

  async createWebhook(input: NewWebhook): Promise<WebhookSubscription> {
    const { webhook, values } = newWebhookRow(input, this.now());
    this.sql(`INSERT INTO control_webhooks (${WEBHOOK_COLUMNS}) VALUES (${placeholders(8)})`).run(...values);
    return webhook;
  }

  async listWebhooks(tenant: string): Promise<WebhookSubscription[]> {
    nonEmpty(tenant, 'tenant');
    const rows = this.sql(
      `SELECT ${WEBHOOK_COLUMNS} FROM control_webhooks WHERE tenant = ? AND deleted_at IS NULL ORDER BY created_at, id`,
    ).all(tenant) as WebhookRow[];
    return rows.map(toWebhook);
  }

  async getWebhook(tenant: string, id: string): Promise<WebhookSubscription | undefined> {
    checkOwned(tenant, id);
    const row = this.sql(`SELECT ${WEBHOOK_COLUMNS} FROM control_webhooks WHERE tenant = ? AND id = ?`).get(
      tenant,
      id,
    ) as WebhookRow | undefined;
    return row ? toWebhook(row) : undefined;
  }

  async deleteWebhook(tenant: string, id: string): Promise<boolean> {
    checkOwned(tenant, id);
    const { changes } = this.sql(
      'UPDATE control_webhooks SET deleted_at = ? WHERE tenant = ? AND id = ? AND deleted_at IS NULL',
    ).run(this.now(), tenant, id);
    return changes === 1;
  }

  async subscribersOf(tenant: string, event: WebhookEvent): Promise<WebhookSubscription[]> {
    checkSubscribersOf(tenant, event);
    const live = await this.listWebhooks(tenant);
    return live.filter((w) => w.events.includes(event));
  }

  async enqueueDeliveries(deliveries: NewDelivery[]): Promise<number> {
    const insert = this.sql(
      `INSERT INTO control_deliveries (${DELIVERY_COLUMNS}) VALUES (${placeholders(11)}) ON CONFLICT DO NOTHING`,
    );
    const rows = newDeliveryRows(deliveries, this.now());
    return this.immediate(() => rows.reduce((added, row) => added + insert.run(...row).changes, 0));
  }

  async claimDeliveries(request: DeliveryClaim): Promise<Delivery[]> {
    const { limit, now, leaseUntil } = checkClaim(request);
    const due = this.sql(
      `SELECT id FROM control_deliveries WHERE status = 'pending' AND next_attempt_at <= ?
       ORDER BY next_attempt_at, id LIMIT ?`,
    );
    const lease = this.sql(
      `UPDATE control_deliveries SET next_attempt_at = ? WHERE id = ? RETURNING ${DELIVERY_COLUMNS}`,
    );
    return this.immediate(() =>
      (due.all(now, limit) as { id: string }[]).map((d) =>
        toDelivery(lease.get(leaseUntil, d.id) as DeliveryRow),
      ),
    );
  }

  async recordAttempt(id: string, attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<void> {
    const r = checkAttempt(id, attempt, outcome);
    const update = this.sql(
      `UPDATE control_deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, last_attempt = ?
       WHERE id = ? RETURNING attempts`,
    );
    const log = this.sql(
      'INSERT INTO control_delivery_attempts (delivery_id, n, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const a = r.attempt;
    this.immediate(() => {
      const row = update.get(r.status, r.nextAttemptAt, r.json, r.id) as { attempts: number } | undefined;
      if (row) log.run(r.id, row.attempts, a.at, a.status ?? null, a.error ?? null, a.durationMs);
    });
  }

  async listDeliveries(query: DeliveryQuery): Promise<Delivery[]> {
    const { where, values } = deliveryWhere(query, () => '?');
    const rows = this.sql(
      `SELECT ${DELIVERY_COLUMNS} FROM control_deliveries ${where} ORDER BY id DESC LIMIT ?`,
    ).all(...values) as DeliveryRow[];
    return rows.map(toDelivery);
  }

  async deliveryAttempts(tenant: string, id: string): Promise<DeliveryAttempt[]> {
    checkOwned(tenant, id);
    const rows = this.sql(
      `SELECT a.at, a.status, a.error, a.duration_ms FROM control_delivery_attempts a
       JOIN control_deliveries d ON d.id = a.delivery_id WHERE d.tenant = ? AND d.id = ? ORDER BY a.n`,
    ).all(tenant, id) as AttemptRow[];
    return rows.map(toAttempt);
  }

  async redeliver(tenant: string, id: string, now: number): Promise<Delivery | undefined> {
    checkOwned(tenant, id);
    const row = this.sql(
      `UPDATE control_deliveries SET status = 'pending', next_attempt_at = ? WHERE tenant = ? AND id = ?
       RETURNING ${DELIVERY_COLUMNS}`,
    ).get(epochMs(now, 'now'), tenant, id) as DeliveryRow | undefined;
    return row ? toDelivery(row) : undefined;
  }

  async createTrigger(input: NewTrigger): Promise<Trigger> {
    const { trigger, values } = newTriggerRow(input, this.now());
    this.sql(`INSERT INTO control_triggers (${TRIGGER_COLUMNS}) VALUES (${placeholders(12)})`).run(
      ...bindable(values),
    );
    return trigger;
  }

  async listTriggers(filter: { tenant?: string; type?: Trigger['type'] }): Promise<Trigger[]> {
    const { tenant, type } = checkTriggerFilter(filter);
    const rows = this.sql(
      `SELECT ${TRIGGER_COLUMNS} FROM control_triggers WHERE (? IS NULL OR tenant = ?) AND (? IS NULL OR type = ?)
       ORDER BY created_at, id`,
    ).all(tenant, tenant, type, type) as TriggerRow[];
    return rows.map(toTrigger);
  }

  async getTrigger(tenant: string, id: string): Promise<Trigger | undefined> {
    checkOwned(tenant, id);
    const row = this.sql(`SELECT ${TRIGGER_COLUMNS} FROM control_triggers WHERE tenant = ? AND id = ?`).get(
      tenant,
      id,
    ) as TriggerRow | undefined;
    return row ? toTrigger(row) : undefined;
  }

  async updateTrigger(tenant: string, id: string, patch: TriggerPatch): Promise<Trigger | undefined> {
    checkOwned(tenant, id);
    const p = checkTriggerPatch(patch);
    const row = this.sql(
      `UPDATE control_triggers SET enabled = coalesce(?, enabled), input = coalesce(?, input)
       WHERE tenant = ? AND id = ? RETURNING ${TRIGGER_COLUMNS}`,
    ).get(p.enabled === null ? null : Number(p.enabled), p.input, tenant, id) as TriggerRow | undefined;
    return row ? toTrigger(row) : undefined;
  }

  async deleteTrigger(tenant: string, id: string): Promise<boolean> {
    checkOwned(tenant, id);
    return this.sql('DELETE FROM control_triggers WHERE tenant = ? AND id = ?').run(tenant, id).changes === 1;
  }

  async claimDueCron(now: number, next: (trigger: Trigger) => number | undefined): Promise<Trigger[]> {
    epochMs(now, 'now');
    const due = this.sql(
      `SELECT ${TRIGGER_COLUMNS} FROM control_triggers WHERE type = 'cron' AND enabled = 1 AND next_fire_at <= ?
       ORDER BY next_fire_at, id`,
    );
    const fire = this.sql(
      `UPDATE control_triggers SET next_fire_at = ?, last_fired_at = next_fire_at WHERE id = ?
       RETURNING ${TRIGGER_COLUMNS}`,
    );
    // `next` runs inside the transaction: a throw rolls every claim of this call back.
    return this.immediate(() =>
      (due.all(now) as TriggerRow[]).map((row) => {
        const trigger = toTrigger(row);
        return toTrigger(fire.get(checkNextFire(next(trigger), trigger), trigger.id) as TriggerRow);
      }),
    );
  }

  async eventTriggersFor(key: string): Promise<Trigger[]> {
    nonEmpty(key, 'key');
    const rows = this.sql(
      `SELECT ${TRIGGER_COLUMNS} FROM control_triggers
       WHERE type = 'event' AND enabled = 1 AND substr(?, 1, length(event_type)) = event_type
       ORDER BY created_at, id`,
    ).all(key) as TriggerRow[];
    return rows.map(toTrigger);
  }

  async readCursor(name: string): Promise<number> {
    nonEmpty(name, 'cursor name');
    const row = this.sql('SELECT value FROM control_cursors WHERE name = ?').get(name) as
      | { value: number }
      | undefined;
    return row?.value ?? 0;
  }

  async advanceCursor(name: string, value: number): Promise<void> {
    nonEmpty(name, 'cursor name');
    this.sql(
      `INSERT INTO control_cursors (name, value) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)`,
    ).run(name, checkCursorValue(value));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.statements.clear();
    this.db.close();
  }
}
