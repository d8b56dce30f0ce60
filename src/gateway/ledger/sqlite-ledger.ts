/**
 * The embedded SQLite adapter of the {@link GatewayLedger} port, on better-sqlite3 in WAL mode. It can
 * share a file with the engine's SQLite store: its tables are prefixed `gateway_` and its migrations
 * are tracked in `gateway_migrations`, not in `user_version` (which the store owns).
 * @module
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { BatonError } from '../../core/errors.js';
import { openSqliteFile, type SqliteFile } from '../../store/sqlite/open-sqlite-file.js';
import type { SqliteDatabase } from '../../store/sqlite/sqlite-driver.js';
import { hashKeySecret, newKeySecret, parseKeySecret, secretMatches } from './key-secret.js';
import {
  checkNewKey,
  checkPage,
  checkPruneBefore,
  checkRequests,
  checkSpentSince,
  checkTotalSpent,
  isKeyUsable,
  type KeyRow,
  ledgerClosed,
  PRUNE_BATCH,
  REQUEST_COLUMNS,
  type RequestRow,
  requestValues,
  requestWhere,
  toPage,
  toSpendBuckets,
  toTotals,
  toVirtualKey,
} from './ledger-rows.js';
import type {
  CreatedKey,
  GatewayLedger,
  KeyFilter,
  LedgerOptions,
  NewKey,
  RequestFilter,
  RequestLogEntry,
  RequestPage,
  RouteOutcomes,
  RunStepUsage,
  SpendEntry,
  SpendScope,
  UsageBucket,
  UsageWindow,
  VirtualKey,
} from './port.js';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';
import {
  type RouteOutcomesRow,
  type RunUsageRow,
  routeOutcomesQuery,
  runUsageQuery,
  toRouteOutcomes,
  toRunStepUsage,
  toUsageSeries,
  type UsageSeriesRow,
  usageSeriesQuery,
} from './usage-rows.js';

/** Options of the SQLite ledger. */
export interface SqliteLedgerOptions extends LedgerOptions, SqliteFile {
  /**
   * `normal` fsyncs at WAL checkpoints only: a process crash loses nothing, a power loss may lose the
   * last commits (never corrupts the file). That suits the ledger: what it could lose is a moment of
   * spend and request log, while fsyncing every batch would slow the gateway's hot path. `full` fsyncs
   * every commit. @defaultValue 'normal'
   */
  durability?: 'normal' | 'full';
}

/** Tries at a fresh key id before giving up (a collision of 8 base62 characters is rare already). */
const KEY_ID_TRIES = 5;

/**
 * Opens (creating and migrating when needed) a SQLite ledger.
 * @example
 * const ledger = await openSqliteLedger({ path: '.baton/baton.db' });
 * const { secret } = await ledger.createKey({ tenant: 'acme', name: 'ci' });
 */
export async function openSqliteLedger(options: SqliteLedgerOptions): Promise<GatewayLedger> {
  const db = openSqliteFile(options, {
    synchronous: options.durability === 'full' ? 'FULL' : 'NORMAL',
    table: 'gateway_migrations',
    migrations: SQLITE_MIGRATIONS,
    name: 'the gateway ledger',
    openedBy: 'the gateway',
  });
  return new SqliteLedger(db, options.now ?? Date.now);
}

const KEY_COLUMNS =
  'id, tenant, name, secret_hash, allowed_models, budgets, rate_limits, created_at, revoked_at, expires_at';

/** The SQLite ledger. Statements are prepared once; every write is one transaction. */
class SqliteLedger implements GatewayLedger {
  private closed = false;
  private readonly insertKey;
  private readonly keyById;
  private readonly revoke;
  private readonly addSpend;
  private readonly sumSpend;
  private readonly insertRequest;
  private readonly recordSpendTx;
  private readonly appendTx;
  private readonly pruneTx;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => number,
  ) {
    this.insertKey = db.prepare(
      `INSERT INTO gateway_keys (${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?) ON CONFLICT (id) DO NOTHING`,
    );
    this.keyById = db.prepare(`SELECT ${KEY_COLUMNS} FROM gateway_keys WHERE id = ?`);
    this.revoke = db.prepare(
      `UPDATE gateway_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING ${KEY_COLUMNS}`,
    );
    this.addSpend = db.prepare(
      `INSERT INTO gateway_spend (scope, scope_id, day, usd) VALUES (?, ?, ?, ?)
       ON CONFLICT (scope, scope_id, day) DO UPDATE SET usd = usd + excluded.usd`,
    );
    this.sumSpend = db.prepare(
      'SELECT coalesce(sum(usd), 0) AS usd FROM gateway_spend WHERE scope = ? AND scope_id = ? AND day >= ?',
    );
    this.insertRequest = db.prepare(
      `INSERT INTO gateway_requests (${REQUEST_COLUMNS.join(', ')})
       VALUES (${REQUEST_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (id) DO NOTHING`,
    );
    this.recordSpendTx = db.transaction((buckets: ReturnType<typeof toSpendBuckets>) => {
      for (const b of buckets) this.addSpend.run(b.scope, b.scopeId, b.day, b.usd);
    });
    this.appendTx = db.transaction((entries: RequestLogEntry[]) => {
      for (const e of entries) {
        this.insertRequest.run(...requestValues(e).map((v) => (typeof v === 'boolean' ? Number(v) : v)));
      }
    });
    const pruneBatch = db.prepare(
      `DELETE FROM gateway_requests WHERE rowid IN
         (SELECT rowid FROM gateway_requests WHERE at < ? LIMIT ${PRUNE_BATCH})`,
    );
    this.pruneTx = db.transaction((before: number) => pruneBatch.run(before).changes);
  }

  private open(): SqliteDatabase {
    if (this.closed) throw ledgerClosed();
    return this.db;
  }

  async createKey(input: NewKey): Promise<CreatedKey> {
    this.open();
    const key = checkNewKey(input);
    const createdAt = this.now();
    for (let attempt = 0; attempt < KEY_ID_TRIES; attempt++) {
      const { id, secret } = newKeySecret();
      const { changes } = this.insertKey.run(
        id,
        key.tenant,
        key.name,
        // The hash, never the secret: see key-secret.ts.
        hashKeySecret(secret),
        JSON.stringify(key.allowedModels),
        JSON.stringify(key.budgets),
        JSON.stringify(key.rateLimits),
        createdAt,
        key.expiresAt ?? null,
      );
      if (changes === 1) return { key: toVirtualKey(this.keyById.get(id) as KeyRow), secret };
    }
    throw new BatonError('INTERNAL', `no free key id after ${KEY_ID_TRIES} tries`, {
      hint: 'Retry; if it persists, the random source is broken',
    });
  }

  async findKeyBySecret(secret: string): Promise<VirtualKey | undefined> {
    this.open();
    const id = parseKeySecret(secret);
    if (id === undefined) return undefined;
    const row = this.keyById.get(id) as KeyRow | undefined;
    // An unknown id answers faster than a wrong secret: the id is the visible prefix, not a secret.
    if (!row || !secretMatches(secret, row.secret_hash)) return undefined;
    const key = toVirtualKey(row);
    return isKeyUsable(key, this.now()) ? key : undefined;
  }

  async listKeys(filter: KeyFilter = {}): Promise<VirtualKey[]> {
    const db = this.open();
    const rows =
      filter.tenant === undefined
        ? db.prepare(`SELECT ${KEY_COLUMNS} FROM gateway_keys ORDER BY created_at, id`).all()
        : db
            .prepare(`SELECT ${KEY_COLUMNS} FROM gateway_keys WHERE tenant = ? ORDER BY created_at, id`)
            .all(filter.tenant);
    return (rows as KeyRow[]).map(toVirtualKey);
  }

  async revokeKey(id: string): Promise<VirtualKey | undefined> {
    this.open();
    const row = this.revoke.get(this.now(), id) as KeyRow | undefined;
    return row ? toVirtualKey(row) : undefined;
  }

  async recordSpend(entries: SpendEntry[]): Promise<void> {
    this.open();
    const buckets = toSpendBuckets(entries);
    if (buckets.length > 0) this.recordSpendTx.immediate(buckets);
  }

  async spentSince(scope: SpendScope, scopeId: string, since: number): Promise<number> {
    this.open();
    const day = checkSpentSince(scope, scopeId, since);
    return (this.sumSpend.get(scope, scopeId, day) as { usd: number }).usd;
  }

  async totalSpent(scope: SpendScope, scopeIds: readonly string[]): Promise<Map<string, number>> {
    const db = this.open();
    const ids = checkTotalSpent(scope, scopeIds);
    if (ids.length === 0) return new Map();
    const rows = db
      .prepare(
        `SELECT scope_id, sum(usd) AS usd FROM gateway_spend WHERE scope = ? AND scope_id IN (${ids.map(() => '?').join(', ')}) GROUP BY scope_id`,
      )
      .all(scope, ...ids) as { scope_id: string; usd: number }[];
    return toTotals(ids, rows);
  }

  async appendRequests(entries: RequestLogEntry[]): Promise<void> {
    this.open();
    const sorted = checkRequests(entries);
    if (sorted.length > 0) this.appendTx.immediate(sorted);
  }

  async listRequests(filter: RequestFilter = {}): Promise<RequestPage> {
    const db = this.open();
    const page = checkPage(filter);
    const { where, values } = requestWhere(filter, page, () => '?');
    const rows = db
      .prepare(
        `SELECT ${REQUEST_COLUMNS.join(', ')} FROM gateway_requests ${where} ORDER BY at DESC, id DESC LIMIT ?`,
      )
      .all(...values, page.limit + 1) as RequestRow[];
    return toPage(rows, page.limit);
  }

  async pruneRequests(before: number): Promise<number> {
    this.open();
    const bound = checkPruneBefore(before);
    let deleted = 0;
    for (;;) {
      // Re-checked each batch: a close while pruning stops it between batches.
      this.open();
      // IMMEDIATE: the write lock up front, so a batch waits out the busy timeout rather than failing.
      const changes = this.pruneTx.immediate(bound);
      deleted += changes;
      if (changes < PRUNE_BATCH) return deleted;
      // better-sqlite3 is synchronous: give calls waiting on the event loop a turn between batches.
      await nextTurn();
    }
  }

  async runUsage(window: UsageWindow): Promise<RunStepUsage[]> {
    const db = this.open();
    const { text, values } = runUsageQuery('gateway_requests', window, () => '?');
    return (db.prepare(text).all(...values) as RunUsageRow[]).map(toRunStepUsage);
  }

  async routeOutcomes(window: UsageWindow): Promise<RouteOutcomes[]> {
    const db = this.open();
    const { text, values } = routeOutcomesQuery('gateway_requests', window, () => '?');
    return (db.prepare(text).all(...values) as RouteOutcomesRow[]).map(toRouteOutcomes);
  }

  async usageSeries(window: UsageWindow, bucketMs: number): Promise<UsageBucket[]> {
    const db = this.open();
    const { text, values } = usageSeriesQuery('gateway_requests', window, bucketMs, () => '?');
    return toUsageSeries(window, bucketMs, db.prepare(text).all(...values) as UsageSeriesRow[]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
