/**
 * The Postgres adapter of the {@link GatewayLedger} port, on `pg`. It can share a database and schema
 * with the engine's Postgres store: its tables are prefixed `gateway_`, its migrations are tracked in
 * `gateway_migrations` and applied under an advisory lock of their own.
 *
 * Tables are named with their schema in every statement (not through `search_path`), so a pool the
 * caller passes in works whatever its connections' settings. Every write is one statement (batches go
 * through `unnest` arrays), hence one transaction.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import {
  type PgPoolSource,
  PgQueries,
  type PgQueryRunner,
  type PgRunnerPool,
  pgAdapterConnection,
  quoteIdent,
} from '../../store/postgres/pg-queries.js';
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
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';
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

/** The subset of a `pg` client the ledger uses. */
export type LedgerPgQueryable = PgQueryRunner;

/** The subset of a `pg.Pool` the ledger uses; a `pg.Pool` fits. */
export type LedgerPgPool = PgRunnerPool;

/** Options of the Postgres ledger: a connection string (the ledger owns its pool) or a pool. */
export type PostgresLedgerOptions = LedgerOptions & {
  /** The schema of the ledger's tables, created when missing. @defaultValue the connections' `search_path` */
  schema?: string;
} & PgPoolSource;

/** Tries at a fresh key id before giving up (a collision of 8 base62 characters is rare already). */
const KEY_ID_TRIES = 5;

const KEY_COLUMNS =
  'id, tenant, name, secret_hash, allowed_models, budgets, rate_limits, created_at, revoked_at, expires_at';

/** The SQL type of each request-log column, for its `unnest` array. */
const REQUEST_TYPES: Record<(typeof REQUEST_COLUMNS)[number], string> = {
  id: 'text',
  at: 'bigint',
  tenant: 'text',
  key_id: 'text',
  run_id: 'text',
  route: 'text',
  target: 'text',
  endpoint: 'text',
  stream: 'boolean',
  status: 'text',
  error_code: 'text',
  input_tokens: 'integer',
  output_tokens: 'integer',
  cached_input_tokens: 'integer',
  reasoning_tokens: 'integer',
  cost_usd: 'double precision',
  latency_ms: 'double precision',
  ttft_ms: 'double precision',
  cache_hit: 'boolean',
  retries: 'integer',
  fallbacks: 'integer',
  request: 'text',
  response: 'text',
  step_id: 'text',
};

/** The ledger's pool, migrated in `gateway_migrations`, and the error a lost connection becomes. */
const { openPool, unreachable } = pgAdapterConnection({
  adapter: 'gateway',
  name: 'the gateway ledger',
  shortName: 'the ledger',
  peers: 'gateways',
  table: 'gateway_migrations',
  migrations: POSTGRES_MIGRATIONS,
});

/**
 * Opens (migrating when needed) a Postgres ledger. Many processes may open one at once: one migrates,
 * the others wait for its lock and find nothing left to do.
 * @example
 * const ledger = await openPostgresLedger({ connectionString: process.env.BATON_DATABASE_URL! });
 */
export async function openPostgresLedger(options: PostgresLedgerOptions): Promise<GatewayLedger> {
  const { pool, owned } = await openPool(options, options.schema);
  return new PostgresLedger(pool, owned, options.schema, options.now ?? Date.now);
}

/** The Postgres ledger. */
class PostgresLedger implements GatewayLedger {
  private closed = false;
  private readonly keys: string;
  private readonly spend: string;
  private readonly requests: string;
  /** Statements on the pool: `query` is retried on a lost connection, `once` is not. */
  private readonly sql: PgQueries;

  constructor(
    private readonly pool: LedgerPgPool,
    private readonly ownsPool: boolean,
    schema: string | undefined,
    private readonly now: () => number,
  ) {
    this.sql = new PgQueries(pool, { isClosed: () => this.closed, closed: ledgerClosed, unreachable });
    const table = (name: string) => (schema === undefined ? name : `${quoteIdent(schema)}.${name}`);
    this.keys = table('gateway_keys');
    this.spend = table('gateway_spend');
    this.requests = table('gateway_requests');
  }

  async createKey(input: NewKey): Promise<CreatedKey> {
    const key = checkNewKey(input);
    const createdAt = this.now();
    for (let attempt = 0; attempt < KEY_ID_TRIES; attempt++) {
      const { id, secret } = newKeySecret();
      const rows = await this.sql.once<KeyRow>(
        `INSERT INTO ${this.keys} (${KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9)
         ON CONFLICT (id) DO NOTHING RETURNING ${KEY_COLUMNS}`,
        [
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
        ],
        `Key ${id} (tenant ${key.tenant}) may have been created without its secret reaching you: revoke it`,
      );
      const row = rows[0];
      if (row) return { key: toVirtualKey(row), secret };
    }
    throw new BatonError('INTERNAL', `no free key id after ${KEY_ID_TRIES} tries`, {
      hint: 'Retry; if it persists, the random source is broken',
    });
  }

  async findKeyBySecret(secret: string): Promise<VirtualKey | undefined> {
    if (this.closed) throw ledgerClosed();
    const id = parseKeySecret(secret);
    if (id === undefined) return undefined;
    const [row] = await this.sql.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM ${this.keys} WHERE id = $1`, [id]);
    // An unknown id answers faster than a wrong secret: the id is the visible prefix, not a secret.
    if (!row || !secretMatches(secret, row.secret_hash)) return undefined;
    const key = toVirtualKey(row);
    return isKeyUsable(key, this.now()) ? key : undefined;
  }

  async listKeys(filter: KeyFilter = {}): Promise<VirtualKey[]> {
    const rows =
      filter.tenant === undefined
        ? await this.sql.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM ${this.keys} ORDER BY created_at, id`, [])
        : await this.sql.query<KeyRow>(
            `SELECT ${KEY_COLUMNS} FROM ${this.keys} WHERE tenant = $1 ORDER BY created_at, id`,
            [filter.tenant],
          );
    return rows.map(toVirtualKey);
  }

  async revokeKey(id: string): Promise<VirtualKey | undefined> {
    const [row] = await this.sql.query<KeyRow>(
      `UPDATE ${this.keys} SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2 RETURNING ${KEY_COLUMNS}`,
      [this.now(), id],
    );
    return row ? toVirtualKey(row) : undefined;
  }

  async recordSpend(entries: SpendEntry[]): Promise<void> {
    if (this.closed) throw ledgerClosed();
    const buckets = toSpendBuckets(entries);
    if (buckets.length === 0) return;
    // ORDER BY: concurrent batches lock the buckets they share in the same order, so they cannot deadlock.
    // Not retried: adding the same spend twice would double it.
    await this.sql.once(
      `INSERT INTO ${this.spend} AS s (scope, scope_id, day, usd)
       SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::double precision[]) ORDER BY 1, 2, 3
       ON CONFLICT (scope, scope_id, day) DO UPDATE SET usd = s.usd + excluded.usd`,
      [
        buckets.map((b) => b.scope),
        buckets.map((b) => b.scopeId),
        buckets.map((b) => b.day),
        buckets.map((b) => b.usd),
      ],
      'The spend may or may not have been recorded',
    );
  }

  async spentSince(scope: SpendScope, scopeId: string, since: number): Promise<number> {
    const day = checkSpentSince(scope, scopeId, since);
    const [row] = await this.sql.query<{ usd: number | string }>(
      `SELECT coalesce(sum(usd), 0) AS usd FROM ${this.spend} WHERE scope = $1 AND scope_id = $2 AND day >= $3`,
      [scope, scopeId, day],
    );
    return Number(row?.usd ?? 0);
  }

  async totalSpent(scope: SpendScope, scopeIds: readonly string[]): Promise<Map<string, number>> {
    const ids = checkTotalSpent(scope, scopeIds);
    if (ids.length === 0) return new Map();
    const rows = await this.sql.query<{ scope_id: string; usd: number | string }>(
      `SELECT scope_id, sum(usd) AS usd FROM ${this.spend} WHERE scope = $1 AND scope_id = ANY($2) GROUP BY scope_id`,
      [scope, ids],
    );
    return toTotals(ids, rows);
  }

  async appendRequests(entries: RequestLogEntry[]): Promise<void> {
    if (this.closed) throw ledgerClosed();
    const sorted = checkRequests(entries);
    if (sorted.length === 0) return;
    const rows = sorted.map(requestValues);
    // One array per column: the statement's text is the same whatever the batch size.
    const columns = REQUEST_COLUMNS.map((_, i) => rows.map((r) => r[i]));
    const arrays = REQUEST_COLUMNS.map((c, i) => `$${i + 1}::${REQUEST_TYPES[c]}[]`).join(', ');
    await this.sql.query(
      `INSERT INTO ${this.requests} (${REQUEST_COLUMNS.join(', ')})
       SELECT * FROM unnest(${arrays}) ON CONFLICT (id) DO NOTHING`,
      columns,
    );
  }

  async listRequests(filter: RequestFilter = {}): Promise<RequestPage> {
    const page = checkPage(filter);
    const { where, values } = requestWhere(filter, page, (n) => `$${n}`);
    const rows = await this.sql.query<RequestRow>(
      `SELECT ${REQUEST_COLUMNS.join(', ')} FROM ${this.requests} ${where}
       ORDER BY at DESC, id DESC LIMIT $${values.length + 1}`,
      [...values, page.limit + 1],
    );
    return toPage(rows, page.limit);
  }

  async pruneRequests(before: number): Promise<number> {
    if (this.closed) throw ledgerClosed();
    const bound = checkPruneBefore(before);
    let deleted = 0;
    for (;;) {
      // One short transaction per batch. SKIP LOCKED: gateways pruning at once share the rows rather
      // than queue behind each other. Retried on a lost connection (deleting again is harmless; the
      // count may then miss the batch whose acknowledgement was lost).
      const [row] = await this.sql.query<{ n: number }>(
        `WITH gone AS (
           DELETE FROM ${this.requests} WHERE id IN (
             SELECT id FROM ${this.requests} WHERE at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED
           ) RETURNING 1
         ) SELECT count(*)::integer AS n FROM gone`,
        [bound, PRUNE_BATCH],
      );
      const changes = Number(row?.n ?? 0);
      deleted += changes;
      if (changes < PRUNE_BATCH) return deleted;
    }
  }

  async runUsage(window: UsageWindow): Promise<RunStepUsage[]> {
    const { text, values } = runUsageQuery(this.requests, window, (n) => `$${n}`);
    return (await this.sql.query<RunUsageRow>(text, values)).map(toRunStepUsage);
  }

  async routeOutcomes(window: UsageWindow): Promise<RouteOutcomes[]> {
    const { text, values } = routeOutcomesQuery(this.requests, window, (n) => `$${n}`);
    return (await this.sql.query<RouteOutcomesRow>(text, values)).map(toRouteOutcomes);
  }

  async usageSeries(window: UsageWindow, bucketMs: number): Promise<UsageBucket[]> {
    const { text, values } = usageSeriesQuery(this.requests, window, bucketMs, (n) => `$${n}`);
    return toUsageSeries(window, bucketMs, await this.sql.query<UsageSeriesRow>(text, values));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsPool) await this.pool.end();
  }
}
