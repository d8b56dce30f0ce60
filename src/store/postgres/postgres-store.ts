/**
 * The Postgres adapter of the {@link Store} port, on `pg`: many worker processes on many machines share
 * one database, which is the only coordination service.
 *
 * - Completions arriving in one event-loop turn share a transaction (group commit), which locks their
 *   runs once and writes each transition in one statement.
 * - Claims are fair: tenants with ready tasks take turns (within one priority), under optional limits
 *   per tenant and per concurrency key; `FOR UPDATE SKIP LOCKED` keeps claimers out of each other's way.
 * - Idle workers wait on `LISTEN`; the store `NOTIFY`s when it writes tasks others may take or timers.
 *   If the listener is down, workers fall back to polling until it reconnects.
 * - Transient failures (the database restarting, a deadlock, a serialization failure) are retried with
 *   backoff for up to `reconnectTimeoutMs`; a write is acknowledged only after its commit.
 * @module
 */
import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { StepRecord } from '../../core/commands.js';
import { BatonError } from '../../core/errors.js';
import type {
  ApprovalDecision,
  ClaimedTask,
  Graph,
  HistoryEvent,
  Run,
  RunStatus,
  StepState,
  WorkflowVersion,
} from '../../core/types.js';
import {
  attemptStartedData,
  type ClaimCandidate,
  claimedTask,
  fairOrder,
  lostTooOften,
  MAX_TAKEOVERS,
  pickWithinLimits,
  settledSteps,
  stepsVisibleTo,
  tenantLimit,
} from '../claims.js';
import { newRunId } from '../ids.js';
import type {
  AttemptRecord,
  CompletionResult,
  NewRun,
  NewVersion,
  PruneResult,
  RunFilter,
  Store,
  StoreOptions,
  TaskCompletion,
} from '../port.js';
import {
  type RunRow,
  type StepRow,
  toAttempt,
  toHistoryEvent,
  toRun,
  toStepState,
  toVersion,
  type VersionRow,
} from '../rows.js';
import { MIGRATIONS } from './migrations/index.js';
import {
  insertHistory,
  PgRunTransaction,
  Statement,
  type StepsCache,
  type TaskRow,
  WORK_CHANNEL,
} from './postgres-commands.js';
import type { PgClient, PgPool, PgPoolClient, PgQueryable } from './postgres-driver.js';
import { pgTypes } from './postgres-rows.js';

/** Options of the Postgres adapter. */
export interface PostgresStoreOptions extends StoreOptions {
  /** `postgres://user:password@host:5432/database` */
  connectionString: string;
  /** A schema of its own (created if missing); the connection's default (`public`) when omitted. */
  schema?: string;
  /** Largest number of pooled connections, besides the listener. @defaultValue 10 */
  poolSize?: number;
  /** Statements running longer are cancelled. @defaultValue 30000 */
  statementTimeoutMs?: number;
  /** How long an operation keeps retrying while the database is unreachable. @defaultValue 30000 */
  reconnectTimeoutMs?: number;
  /**
   * Idle polling for tasks while the listener is up (`NOTIFY` wakes workers; this bounds how late an
   * idle worker notices expired leases). Timers poll every 30 s or this, whichever is longer. @defaultValue 2000
   */
  pollMs?: number;
  /** Largest number of completions in one group commit. @defaultValue 256 */
  maxBatch?: number;
}

/** How long a process trusts what it last read as a workflow's latest version. */
const LATEST_VERSION_TTL_MS = 1000;

/** Group commits a process keeps in flight at once. */
const MAX_CONCURRENT_FLUSHES = 2;

/** The oldest server the adapter supports. */
const MIN_SERVER_VERSION = 130000;

const RETRYABLE_SQLSTATES = new Set([
  '40001',
  '40P01',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** True for failures that a retry on a fresh connection may cure. */
function isTransient(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && (RETRYABLE_SQLSTATES.has(e.code) || CONNECTION_ERRNOS.has(e.code)))
    return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|not queryable/i.test(
    message,
  );
}

/** True when the connection itself may be broken, so the pool must not reuse it. */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return isTransient(error) && code !== '40001' && code !== '40P01';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type CreateResult = { run: Run; created: boolean; dispatched: ClaimedTask[] };

/** A run to create in the next group commit, its id chosen before the first try. */
interface CreateOp {
  kind: 'create';
  request: NewRun;
  id: string;
  input: string;
}

/** A write of the next group commit: a completion or a new run. */
type BatchOp = { kind: 'complete'; completion: TaskCompletion } | CreateOp;

/** A write waiting for the next group commit. */
interface PendingOp {
  op: BatchOp;
  resolve: (value: never) => void;
  reject: (error: unknown) => void;
}

/** The Postgres store. */
export class PostgresStore implements Store {
  private readonly pool: PgPool;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly maxPayloadBytes: number;
  private readonly reconnectTimeoutMs: number;
  private readonly maxBatch: number;
  private readonly emitter = new EventEmitter();
  private readonly versions = new Map<string, WorkflowVersion>();
  private readonly stepsCache = new LruStepsCache(10_000);
  private readonly latest = new Map<string, { id: string; at: number }>();
  /** Named statements, unless the server shares one session between connections (PGlite). */
  private namedStatements = true;
  private pending: PendingOp[] = [];
  private flushScheduled = false;
  /** Group commits in flight; more wait, so that under load batches grow instead of transactions. */
  private flushing = 0;
  private closed = false;
  private listener: PgClient | undefined;
  private listening = false;
  private listenerRetry: NodeJS.Timeout | undefined;

  constructor(private readonly options: PostgresStoreOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.maxPayloadBytes = options.maxPayloadBytes ?? 1024 * 1024;
    this.reconnectTimeoutMs = options.reconnectTimeoutMs ?? 30_000;
    this.maxBatch = options.maxBatch ?? 256;
    this.emitter.setMaxListeners(0);
    this.pool = new pg.Pool({
      ...this.connectionConfig(),
      max: options.poolSize ?? 10,
      idleTimeoutMillis: 30_000,
    }) as unknown as PgPool;
    // An idle pooled connection broken by a database restart: the pool drops it; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  private connectionConfig() {
    const o = this.options;
    return {
      connectionString: o.connectionString,
      application_name: 'baton',
      statement_timeout: o.statementTimeoutMs ?? 30_000,
      // A silent network partition must not hang an operation for the kernel's TCP timeout: keepalives
      // notice a dead peer, and the client gives up on a query the server would have cancelled by now.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      query_timeout: (o.statementTimeoutMs ?? 30_000) + 5_000,
      connectionTimeoutMillis: 10_000,
      idle_in_transaction_session_timeout: 60_000,
      types: pgTypes,
      ...(o.schema === undefined ? {} : { options: `-c search_path=${quoteIdent(o.schema)}` }),
    };
  }

  /**
   * How often an idle worker polls: slowly while `NOTIFY` wakes it, often while the listener is down.
   * Claims still poll every 2 s, because that is how a worker notices another one's expired leases.
   */
  get idlePoll(): { claimsMs: number; timersMs: number } {
    if (!this.listening) return { claimsMs: 250, timersMs: 250 };
    const claimsMs = this.options.pollMs ?? 2000;
    return { claimsMs, timersMs: Math.max(claimsMs, 30_000) };
  }

  private readonly guarded = new WeakSet<PgPoolClient>();

  /**
   * A pooled client. A connection that breaks between two queries of a transaction emits `error` on
   * the client, which would crash the process with no listener; the next query fails and is retried.
   */
  private async connect(): Promise<PgPoolClient> {
    const client = await this.pool.connect();
    if (!this.guarded.has(client)) {
      client.on('error', () => undefined);
      this.guarded.add(client);
    }
    return client;
  }

  async init(): Promise<void> {
    await this.withRetry(async () => {
      const client = await this.connect();
      try {
        await this.migrate(client);
        client.release();
      } catch (error) {
        client.release(isConnectionError(error) ? (error as Error) : undefined);
        throw error;
      }
    });
    await this.listen();
  }

  private async migrate(client: PgPoolClient): Promise<void> {
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    const serverVersion = Number(rows[0]?.v ?? 0);
    const { rows: about } = await client.query<{ v: string }>('SELECT version() AS v');
    if (/emscripten|wasm/i.test(about[0]?.v ?? '')) this.namedStatements = false;
    if (serverVersion < MIN_SERVER_VERSION) {
      throw new BatonError(
        'STORE_SERVER_TOO_OLD',
        `Baton needs PostgreSQL 13 or newer; the server at ${this.where()} reports ${serverVersion}`,
        { hint: 'Upgrade PostgreSQL, or use the embedded SQLite store (unset BATON_DATABASE_URL)' },
      );
    }
    await client.query('BEGIN');
    try {
      // Ten workers starting at once: one migrates, the others wait here and then find nothing to do.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `baton.migrate:${this.options.schema ?? ''}`,
      ]);
      if (this.options.schema !== undefined)
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.options.schema)}`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS baton_schema (version integer NOT NULL, migrated_at bigint NOT NULL)',
      );
      const current = Number(
        (await client.query<{ v: number | null }>('SELECT max(version) AS v FROM baton_schema')).rows[0]?.v ??
          0,
      );
      if (current > MIGRATIONS.length) {
        throw new BatonError(
          'STORE_SCHEMA_TOO_NEW',
          `the database at ${this.where()} has schema version ${current}, newer than this Baton (${MIGRATIONS.length})`,
          {
            hint: 'Upgrade this Baton to the version the other workers run, or point it at another database',
          },
        );
      }
      for (let v = current; v < MIGRATIONS.length; v++) {
        await client.query(MIGRATIONS[v] as string);
        await client.query('INSERT INTO baton_schema (version, migrated_at) VALUES ($1, $2)', [
          v + 1,
          Date.now(),
        ]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private where(): string {
    try {
      const url = new URL(this.options.connectionString);
      return `${url.host}${url.pathname}${this.options.schema ? ` (schema ${this.options.schema})` : ''}`;
    } catch {
      return 'the configured database';
    }
  }

  /** A dedicated connection that LISTENs for work; reconnects with backoff when it drops. */
  private async listen(delayMs = 0): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(this.connectionConfig()) as unknown as PgClient;
    const retry = () => {
      this.listening = false;
      client.removeAllListeners();
      client.on('error', () => undefined);
      void client.end().catch(() => undefined);
      if (this.listener === client) this.listener = undefined;
      if (this.closed || this.listenerRetry) return;
      const next = Math.min(Math.max(delayMs * 2, 250), 5000);
      this.listenerRetry = setTimeout(() => {
        this.listenerRetry = undefined;
        void this.listen(next);
      }, next);
      this.listenerRetry.unref();
    };
    try {
      client.on('error', retry);
      client.on('end', retry);
      client.on('notification', (message) => {
        if (message.channel !== WORK_CHANNEL) return;
        const payload = message.payload ?? '';
        if (payload.startsWith('d:')) this.wakeAt(Number(payload.slice(2)));
        else this.emitter.emit('work', payload === 't');
      });
      await client.connect();
      await client.query(`LISTEN ${WORK_CHANNEL}`);
      if (this.closed) {
        // Closed while this connection was being made: nothing will end it later.
        client.removeAllListeners();
        client.on('error', () => undefined);
        await client.end().catch(() => undefined);
        return;
      }
      this.listener = client;
      this.listening = true;
      // Whatever was written while the listener was down: look now.
      if (delayMs > 0) this.emitter.emit('work', true);
    } catch {
      retry();
    }
  }

  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeTimerAt = Number.POSITIVE_INFINITY;

  /** Wake idle workers of this process when delayed tasks become ready (sender's clock; skew shifts it). */
  private wakeAt(at: number): void {
    // Far off (or another clock's idea of now): the 2 s poll covers it.
    if (!Number.isFinite(at) || at >= this.wakeTimerAt || at - Date.now() > 60_000) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimerAt = at;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeTimerAt = Number.POSITIVE_INFINITY;
        this.emitter.emit('work', false);
      },
      Math.max(0, at - Date.now()) + 5,
    );
    this.wakeTimer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    // Completions already handed in are committed (or fail) before the pool closes.
    while (this.pending.length > 0 || this.flushing > 0) {
      if (this.flushing < MAX_CONCURRENT_FLUSHES && this.pending.length > 0) await this.flush();
      else await sleep(5);
    }
    this.closed = true;
    if (this.listenerRetry) clearTimeout(this.listenerRetry);
    const listener = this.listener;
    this.listener = undefined;
    this.listening = false;
    if (listener) {
      listener.removeAllListeners();
      listener.on('error', () => undefined);
      await listener.end().catch(() => undefined);
    }
    await this.pool.end();
  }

  /** Run `work`, retrying transient failures with backoff until `reconnectTimeoutMs` has passed. */
  private async withRetry<T>(work: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.reconnectTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new BatonError('STORE_UNAVAILABLE', 'the store is closed');
      try {
        return await work();
      } catch (error) {
        if (!isTransient(error)) throw translate(error);
        if (Date.now() >= deadline) {
          throw new BatonError(
            'STORE_UNAVAILABLE',
            `Postgres at ${this.where()} is unreachable: ${(error as Error).message}`,
            {
              hint: 'Check that the database is up and BATON_DATABASE_URL is right; work resumes once it is back',
              cause: error,
            },
          );
        }
        await sleep(Math.min(50 * 2 ** attempt, 1000) * (0.5 + this.random()));
      }
    }
  }

  /**
   * One transaction, retried as a whole on transient failures. If the connection breaks during
   * COMMIT, the outcome is unknown: the transaction's id, read at BEGIN, tells on a fresh connection
   * whether it committed, so a committed transaction is not run twice.
   */
  private async tx<T>(work: (t: PgRunTransaction) => Promise<T>): Promise<T> {
    const { result, t } = await this.withRetry(async () => {
      const client = await this.connect();
      const t = this.transaction(client);
      let xid: { id: string; serverStarted: string } | undefined;
      let committing = false;
      let result: T | undefined;
      try {
        // READ COMMITTED whatever the server's default: each statement must see what committed before it
        // (the event and wait handshake depends on it).
        type Begun = { rows: { xid: string; started: string }[] };
        const begun = (await client.query(
          'BEGIN ISOLATION LEVEL READ COMMITTED; SELECT txid_current()::text AS xid, pg_postmaster_start_time()::text AS started',
        )) as unknown as Begun[] | Begun;
        const row = Array.isArray(begun) ? begun[1]?.rows[0] : begun.rows[0];
        if (row) xid = { id: row.xid, serverStarted: row.started };
        result = await work(t);
        await t.flush();
        committing = true;
        await client.query('COMMIT');
        client.release();
        return { result: result as T, t };
      } catch (error) {
        if (isConnectionError(error)) {
          client.release(error as Error);
          // The work ran to the end and the server kept it: its result stands.
          if (committing && xid !== undefined && (await this.committed(xid)))
            return { result: result as T, t };
        } else {
          await client.query('ROLLBACK').catch(() => undefined);
          client.release();
        }
        throw error;
      }
    });
    t.committed();
    // Announced only after the commit (a listener never sees a run finish that could still roll back),
    // and outside the transaction's error handling: a listener that throws changes nothing.
    try {
      for (const run of t.finished) this.emitter.emit('run-finished', run);
      // With the listener up, NOTIFY tells every process, this one included.
      if (!this.listening && (t.wrote.tasks || t.wrote.timers)) this.emitter.emit('work', t.wrote.timers);
    } catch {
      // A listener's own failure is its business.
    }
    return result;
  }

  /**
   * Whether a transaction whose COMMIT lost its connection did commit; asks until the server answers.
   * Only while the server has not restarted: recovery may hand an id that never reached the disk to
   * another transaction, so after a restart the answer would be about someone else. Then the work is
   * run again, which every operation tolerates (a run's id is fixed, a completion is fenced).
   */
  private async committed(xid: { id: string; serverStarted: string }): Promise<boolean> {
    for (;;) {
      const { rows } = await this.withRetry(() =>
        this.pool.query<{ status: string | null; started: string }>(
          'SELECT txid_status($1::bigint) AS status, pg_postmaster_start_time()::text AS started',
          [xid.id],
        ),
      );
      const row = rows[0];
      if (!row || row.started !== xid.serverStarted) return false;
      if (row.status === 'committed') return true;
      if (row.status !== 'in progress') return false;
      await sleep(50);
    }
  }

  private transaction(client: PgQueryable): PgRunTransaction {
    const db = Object.assign(client, { named: this.namedStatements });
    return new PgRunTransaction(
      db,
      {
        random: this.random,
        maxPayloadBytes: this.maxPayloadBytes,
        version: (id) => this.versionOn(db, id),
        latestVersion: (workflow) => this.latestOn(db, workflow),
        limited: (row) => this.limited(row),
        cache: this.stepsCache,
      },
      this.now(),
    );
  }

  /** True when claims, not dispatch, must decide who runs this run's tasks (a concurrency limit applies). */
  private limited(row: Pick<RunRow, 'tenant' | 'concurrency_limit'>): boolean {
    return (
      (row.concurrency_limit ?? null) !== null ||
      tenantLimit(this.options.tenantConcurrency, row.tenant) !== undefined
    );
  }

  /** A read outside any transaction, retried on transient failures. */
  private read<R>(text: string, values?: unknown[]): Promise<R[]> {
    return this.withRetry(async () => (await this.pool.query<R>(text, values)).rows);
  }

  async registerVersion(version: NewVersion): Promise<{ version: WorkflowVersion; created: boolean }> {
    const result = await this.tx(async (t) => {
      // Two processes registering the same workflow at once must not both take the next number.
      await t.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`baton.version:${version.workflow}`]);
      const existing = await t.query<VersionRow>(
        'SELECT * FROM workflow_versions WHERE workflow = $1 AND hash = $2',
        [version.workflow, version.hash],
      );
      if (existing.rows[0]) return { version: toVersion(existing.rows[0]), created: false };
      const { rows } = await t.query<{ n: number }>(
        'SELECT COALESCE(MAX(number), 0) AS n FROM workflow_versions WHERE workflow = $1',
        [version.workflow],
      );
      const n = Number(rows[0]?.n ?? 0) + 1;
      const inserted = await t.query<VersionRow>(
        `INSERT INTO workflow_versions (id, workflow, number, label, hash, source, graph, definition, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
        [
          `${version.workflow}@${n}`,
          version.workflow,
          n,
          version.label,
          version.hash,
          version.source,
          JSON.stringify(version.graph),
          JSON.stringify(version.definition ?? null),
          this.now(),
        ],
      );
      return { version: toVersion(inserted.rows[0] as VersionRow), created: true };
    });
    // After the commit, so that nothing re-reads the old latest version and keeps it.
    this.latest.delete(version.workflow);
    return result;
  }

  async getVersion(id: string): Promise<WorkflowVersion | undefined> {
    return this.withRetry(() => this.versionOn(this.pool, id));
  }

  async getLatestVersion(workflow: string): Promise<WorkflowVersion | undefined> {
    return this.withRetry(() => this.latestOn(this.pool, workflow));
  }

  /** A version, cached (versions never change), read on `db`: inside a transaction, its own connection. */
  private async versionOn(db: PgQueryable, id: string): Promise<WorkflowVersion | undefined> {
    const known = this.versions.get(id);
    if (known) return known;
    const row = (await db.query<VersionRow>('SELECT * FROM workflow_versions WHERE id = $1', [id])).rows[0];
    if (!row) return undefined;
    const version = toVersion(row);
    this.versions.set(id, version);
    return version;
  }

  /**
   * The latest version of a workflow, remembered for a second: a fan-out of a thousand child runs asks
   * a thousand times. A version registered in this process is seen at once, one from elsewhere within
   * the second.
   */
  private async latestOn(db: PgQueryable, workflow: string): Promise<WorkflowVersion | undefined> {
    const known = this.latest.get(workflow);
    if (known && Date.now() - known.at < LATEST_VERSION_TTL_MS) return this.versionOn(db, known.id);
    const row = (
      await db.query<{ id: string }>(
        'SELECT id FROM workflow_versions WHERE workflow = $1 ORDER BY number DESC LIMIT 1',
        [workflow],
      )
    ).rows[0];
    if (!row) return undefined;
    this.latest.set(workflow, { id: row.id, at: Date.now() });
    return this.versionOn(db, row.id);
  }

  async listVersions(workflow: string): Promise<WorkflowVersion[]> {
    return (
      await this.read<VersionRow>('SELECT * FROM workflow_versions WHERE workflow = $1 ORDER BY number', [
        workflow,
      ])
    ).map(toVersion);
  }

  async listWorkflows(): Promise<{ workflow: string; latest: WorkflowVersion; versions: number }[]> {
    const rows = await this.read<VersionRow & { versions: number }>(
      `SELECT v.*, c.n::int AS versions FROM workflow_versions v
         JOIN (SELECT workflow, MAX(number) AS m, COUNT(*) AS n FROM workflow_versions GROUP BY workflow) c
           ON c.workflow = v.workflow AND c.m = v.number ORDER BY v.workflow`,
    );
    return rows.map((r) => ({ workflow: r.workflow, latest: toVersion(r), versions: r.versions }));
  }

  async createRun(request: NewRun): Promise<CreateResult> {
    const input = JSON.stringify(request.input === undefined ? null : request.input);
    if (input.length > this.maxPayloadBytes) {
      throw new BatonError(
        'PAYLOAD_TOO_LARGE',
        `run input of ${input.length} bytes exceeds the ${this.maxPayloadBytes}-byte limit`,
        {
          hint: 'Store large data elsewhere and pass a reference',
        },
      );
    }
    // The id is chosen once: if a commit's acknowledgement is lost and the transaction is retried, the
    // retry finds the run it already created instead of creating a second one.
    return this.enqueue<CreateResult>({ kind: 'create', request, id: newRunId(this.now()), input });
  }

  /** Create runs in one transaction; idempotent per `(tenant, key)`, within the batch too. */
  private async createMany(t: PgRunTransaction, creates: CreateOp[]): Promise<CreateResult[]> {
    const tenantOf = (c: CreateOp) => c.request.tenant ?? 'default';
    const keyOf = (c: CreateOp) =>
      c.request.idempotencyKey === undefined ? undefined : `${tenantOf(c)}\u0000${c.request.idempotencyKey}`;
    const keyed = creates.filter((c) => c.request.idempotencyKey !== undefined);
    const found = await t.query<RunRow>(
      `SELECT * FROM runs WHERE id = ANY($1::text[])
         OR (tenant, idempotency_key) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
      [creates.map((c) => c.id), keyed.map(tenantOf), keyed.map((c) => c.request.idempotencyKey)],
    );
    const byId = new Map(found.rows.map((r) => [r.id, r]));
    const byKey = new Map(
      found.rows
        .filter((r) => r.idempotency_key !== null)
        .map((r) => [`${r.tenant}\u0000${r.idempotency_key}`, r]),
    );
    const inBatch = new Map<string, Run>();
    const out: CreateResult[] = [];
    for (const c of creates) {
      const { request } = c;
      const key = keyOf(c);
      const existing = byId.get(c.id) ?? (key === undefined ? undefined : byKey.get(key));
      const earlier = key === undefined ? undefined : inBatch.get(key);
      const prior = existing ? toRun(existing) : earlier;
      if (prior) {
        if (prior.workflow !== request.workflow) {
          throw new BatonError(
            'IDEMPOTENCY_CONFLICT',
            `idempotency key "${request.idempotencyKey}" already belongs to run ${prior.id} of workflow "${prior.workflow}"`,
            { hint: 'Use a key per submission', details: { runId: prior.id, workflow: prior.workflow } },
          );
        }
        out.push({ run: prior, created: prior.id === c.id, dispatched: [] });
        continue;
      }
      const version = request.versionId
        ? await this.versionOn(t.db, request.versionId)
        : await this.latestOn(t.db, request.workflow);
      if (!version || version.workflow !== request.workflow) {
        if (request.versionId) {
          throw new BatonError(
            'VERSION_NOT_FOUND',
            `workflow version ${request.versionId} of "${request.workflow}" does not exist`,
            { hint: `List versions with \`baton workflows show ${request.workflow}\`` },
          );
        }
        throw new BatonError('WORKFLOW_NOT_FOUND', `workflow "${request.workflow}" is not registered`, {
          hint: 'List workflows with `baton workflows list`',
        });
      }
      const { run, dispatched } = await t.createRun(
        {
          id: c.id,
          workflow: request.workflow,
          version,
          input: c.input,
          priority: request.priority ?? 0,
          tenant: tenantOf(c),
          ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
          tags: request.tags ?? [],
          ...(request.deadlineAt === undefined ? {} : { deadlineAt: request.deadlineAt }),
          ...(request.traceId === undefined ? {} : { traceId: request.traceId }),
          ...(request.concurrency === undefined ? {} : { concurrency: request.concurrency }),
        },
        request.dispatchTo,
      );
      out.push({ run, created: true, dispatched });
      if (key !== undefined) inBatch.set(key, run);
    }
    try {
      // Written now, inside the try: a unique violation here is the idempotency race below.
      await t.flush();
    } catch (error) {
      // Two processes submitted with the same key at once: the loser retries and finds the winner's run.
      if ((error as { code?: string }).code === '23505')
        throw Object.assign(new Error('idempotency race'), { code: '40001' });
      throw error;
    }
    return out;
  }

  async getRun(id: string): Promise<Run | undefined> {
    const row = (await this.read<RunRow>('SELECT * FROM runs WHERE id = $1', [id]))[0];
    return row ? toRun(row) : undefined;
  }

  async listRuns(filter: RunFilter = {}): Promise<Run[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (filter.workflow !== undefined) where.push(`workflow = ${p(filter.workflow)}`);
    if (filter.versionId !== undefined) where.push(`version_id = ${p(filter.versionId)}`);
    if (filter.status !== undefined) {
      where.push(
        `status = ANY(${p(Array.isArray(filter.status) ? filter.status : [filter.status])}::text[])`,
      );
    }
    if (filter.tenant !== undefined) where.push(`tenant = ${p(filter.tenant)}`);
    if (filter.tag !== undefined) where.push(`tags::jsonb ? ${p(filter.tag)}`);
    if (filter.parentRunId !== undefined) where.push(`parent_run_id = ${p(filter.parentRunId)}`);
    if (filter.createdAfter !== undefined) where.push(`created_at >= ${p(filter.createdAfter)}`);
    if (filter.createdBefore !== undefined) where.push(`created_at < ${p(filter.createdBefore)}`);
    if (filter.cursor !== undefined) where.push(`id < ${p(filter.cursor)}`);
    const limit = p(Math.min(Math.max(filter.limit ?? 50, 1), 1000));
    const rows = await this.read<RunRow>(
      `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`,
      params,
    );
    return rows.map(toRun);
  }

  async getSteps(runId: string): Promise<StepState[]> {
    const rows = await this.read<StepRow>(
      'SELECT * FROM steps WHERE run_id = $1 ORDER BY COALESCE(started_at, finished_at) NULLS FIRST, step_id',
      [runId],
    );
    return rows.map(toStepState);
  }

  async getHistory(
    runId: string,
    options: { afterSeq?: number; limit?: number } = {},
  ): Promise<HistoryEvent[]> {
    const rows = await this.read<Parameters<typeof toHistoryEvent>[0]>(
      'SELECT * FROM history WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [runId, options.afterSeq ?? 0, options.limit ?? 100_000],
    );
    return rows.map(toHistoryEvent);
  }

  async listAttempts(runId: string): Promise<AttemptRecord[]> {
    const rows = await this.read<Parameters<typeof toAttempt>[0]>(
      `SELECT run_id, kind, step_id, item, attempt, worker_id, status, started_at, finished_at, error FROM attempts WHERE run_id = $1
       UNION ALL
       SELECT run_id, kind, step_id, item, attempt, lease_owner, 'running', started_at, NULL, NULL FROM tasks
         WHERE run_id = $1 AND lease_owner IS NOT NULL
       ORDER BY started_at, step_id, item, attempt`,
      [runId],
    );
    return rows.map(toAttempt);
  }

  async claimTasks(request: { workerId: string; limit: number; leaseMs: number }): Promise<ClaimedTask[]> {
    if (request.limit <= 0) return [];
    // One transaction whatever happens: a worker that loses the race for a task (every idle worker
    // hears the same NOTIFY) costs one transaction, not a read and then a transaction.
    return this.tx(async (t) => {
      const first = await this.candidates(t.db, t.now, request.limit);
      let ready = first.ready;
      if (first.expired) {
        await this.takeOverExpired(t);
        ready = (await this.candidates(t.db, t.now, request.limit)).ready;
      }
      if (ready.length === 0) return [];
      const chosen = await this.fairPick(t, ready, request.limit);
      if (chosen.length === 0) return [];
      return this.lease(t, chosen, request.workerId, request.leaseMs);
    });
  }

  /** Whether leases expired, and each tenant's best ready tasks (walking tenants on an index), in one statement. */
  private async candidates(
    db: PgQueryable,
    now: number,
    limit: number,
  ): Promise<{ expired: boolean; ready: ClaimCandidate[] }> {
    const { rows } = await db.query<{ expired: boolean } & ({ id: null } | ClaimCandidate)>(
      `WITH RECURSIVE ten AS (
         (SELECT tenant FROM tasks WHERE lease_owner IS NULL ORDER BY tenant LIMIT 1)
         UNION ALL
         SELECT (SELECT tenant FROM tasks WHERE lease_owner IS NULL AND tenant > ten.tenant ORDER BY tenant LIMIT 1)
           FROM ten WHERE ten.tenant IS NOT NULL
       )
       SELECT e.expired, c.* FROM (SELECT EXISTS (SELECT 1 FROM tasks WHERE lease_owner IS NOT NULL AND visible_at <= $1) AS expired) e
       LEFT JOIN LATERAL (
         SELECT x.* FROM ten CROSS JOIN LATERAL (
           SELECT id, tenant, priority, visible_at, concurrency_key, concurrency_limit FROM tasks
           WHERE lease_owner IS NULL AND visible_at <= $1 AND tenant = ten.tenant ORDER BY priority DESC, visible_at LIMIT $2
         ) x WHERE ten.tenant IS NOT NULL
       ) c ON true`,
      [now, limit],
    );
    return {
      expired: rows[0]?.expired === true,
      ready: rows.filter((r): r is { expired: boolean } & ClaimCandidate => r.id !== null),
    };
  }

  /** Order candidates fairly and keep what the tenant and concurrency-key limits allow. */
  private async fairPick(
    t: PgRunTransaction,
    candidates: ClaimCandidate[],
    limit: number,
  ): Promise<number[]> {
    const ordered = fairOrder(candidates);
    const limitOf = (tenant: string) => tenantLimit(this.options.tenantConcurrency, tenant);
    const tenants = [...new Set(ordered.map((c) => c.tenant))].filter((x) => limitOf(x) !== undefined);
    const keys = [
      ...new Set(ordered.filter((c) => c.concurrency_limit !== null).map((c) => c.concurrency_key as string)),
    ];
    if (tenants.length === 0 && keys.length === 0) return ordered.slice(0, limit).map((c) => c.id);
    // Limits count leases across all workers: limited claims take turns, so two cannot both see a free slot.
    await t.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['baton.claim-limits']);
    const counts = await t.query<{ scope: string; name: string; n: number }>(
      `SELECT 't' AS scope, tenant AS name, count(*)::int AS n FROM tasks WHERE lease_owner IS NOT NULL AND tenant = ANY($1::text[]) GROUP BY tenant
       UNION ALL
       SELECT 'k', concurrency_key, count(*)::int FROM tasks WHERE lease_owner IS NOT NULL AND concurrency_key = ANY($2::text[]) GROUP BY concurrency_key`,
      [tenants, keys],
    );
    const byTenant = new Map<string, number>();
    const byKey = new Map<string, number>();
    for (const c of counts.rows) (c.scope === 't' ? byTenant : byKey).set(c.name, c.n);
    return pickWithinLimits(ordered, limit, limitOf, byTenant, byKey);
  }

  /** Lease the chosen tasks (skipping any another worker took meanwhile) and build what the worker receives. */
  private async lease(
    t: PgRunTransaction,
    ids: number[],
    workerId: string,
    leaseMs: number,
  ): Promise<ClaimedTask[]> {
    const now = t.now;
    const expires = now + leaseMs;
    // The run rows are locked with the tasks, skipping runs another transaction is writing: their
    // tasks wait for the next claim, and nobody waits here.
    const { rows } = await t.query<TaskRow>(
      `WITH c AS (
         SELECT t.id FROM tasks t JOIN runs r ON r.id = t.run_id
         WHERE t.id = ANY($1::bigint[]) AND t.lease_owner IS NULL AND t.visible_at <= $4 FOR UPDATE OF r, t SKIP LOCKED
       )
       UPDATE tasks t SET lease_owner = $2, visible_at = $3, started_at = $4 FROM c WHERE t.id = c.id RETURNING t.*`,
      [ids, workerId, expires, now],
    );
    if (rows.length === 0) return [];
    const runIds = [...new Set(rows.map((r) => r.run_id))];
    await t.lock(runIds);
    const st = new Statement();
    const steps = rows.filter((r) => r.kind === 'step');
    t.bump(
      st,
      steps.map((r) => r.run_id),
    );
    for (const r of steps) {
      const rec = t.steps(r.run_id)?.get(r.step_id);
      if (rec)
        t.setStep(r.run_id, {
          ...rec,
          status: 'running',
          attempt: r.attempt,
          startedAt: rec.startedAt ?? now,
        });
    }
    if (steps.length > 0) {
      st.add(
        `UPDATE steps s SET status = 'running', attempt = x.attempt, started_at = COALESCE(s.started_at, ${st.p(now)})
         FROM unnest(${st.p(steps.map((r) => r.run_id))}::text[], ${st.p(steps.map((r) => r.step_id))}::text[], ${st.p(steps.map((r) => r.attempt))}::int[]) AS x(run_id, step_id, attempt)
         WHERE s.run_id = x.run_id AND s.step_id = x.step_id`,
      );
    }
    insertHistory(
      st,
      rows.map((r) => [
        r.run_id,
        now,
        'attempt-started',
        r.step_id || null,
        r.item >= 0 ? r.item : null,
        r.attempt,
        attemptStartedData(r.kind, workerId),
      ]),
    );
    await t.exec(st);
    const items = rows.filter((r) => r.kind === 'item');
    const inputs = new Map<string, string>();
    if (items.length > 0) {
      const found = await t.query<{ run_id: string; step_id: string; idx: number; input: string }>(
        `SELECT m.run_id, m.step_id, m.idx, m.input FROM map_items m
           JOIN unnest($1::text[], $2::text[], $3::int[]) AS x(run_id, step_id, idx) ON m.run_id = x.run_id AND m.step_id = x.step_id AND m.idx = x.idx`,
        [items.map((r) => r.run_id), items.map((r) => r.step_id), items.map((r) => r.item)],
      );
      for (const r of found.rows) inputs.set(`${r.run_id}:${r.step_id}:${r.idx}`, r.input);
    }
    const graphs = new Map<string, Graph>();
    for (const id of new Set(rows.map((r) => (t.row(r.run_id) as RunRow).version_id))) {
      const version = await this.versionOn(t.db, id);
      if (version) graphs.set(id, version.graph);
    }
    return rows.map((task) => {
      const row = t.row(task.run_id) as RunRow;
      const graph = graphs.get(row.version_id);
      const kind = task.kind as ClaimedTask['kind'];
      return claimedTask({
        id: String(task.id),
        kind: task.kind as ClaimedTask['kind'],
        runId: task.run_id,
        stepId: task.step_id,
        item: task.item,
        attempt: task.attempt,
        leaseExpiresAt: expires,
        startedAt: now,
        row,
        steps: settledSteps(t.steps(task.run_id) ?? [], graph && stepsVisibleTo(graph, kind, task.step_id)),
        itemInputJson: inputs.get(`${task.run_id}:${task.step_id}:${task.item}`),
        runErrorJson: row.error,
      });
    });
  }

  /** Return tasks whose lease expired to the queue, recording the takeover in each run's history. */
  private async takeOverExpired(t: PgRunTransaction): Promise<void> {
    const now = t.now;
    const { rows } = await t.query<TaskRow>(
      `SELECT t.* FROM tasks t JOIN runs r ON r.id = t.run_id
       WHERE t.lease_owner IS NOT NULL AND t.visible_at <= $1 LIMIT 1000 FOR UPDATE OF r, t SKIP LOCKED`,
      [now],
    );
    if (rows.length === 0) return;
    await t.lock(rows.map((r) => r.run_id));
    const requeue = rows.filter((r) => r.takeovers < MAX_TAKEOVERS);
    const exhausted = rows.filter((r) => r.takeovers >= MAX_TAKEOVERS);
    const st = new Statement();
    const all = st.p(rows.map((r) => r.id));
    st.add(
      `INSERT INTO attempts (run_id, kind, step_id, item, attempt, worker_id, status, started_at, finished_at)
       SELECT run_id, kind, step_id, item, attempt, lease_owner, 'lost', COALESCE(started_at, ${now}), ${now} FROM tasks WHERE id = ANY(${all}::bigint[])`,
    );
    insertHistory(
      st,
      rows.map((r) => [
        r.run_id,
        now,
        'lease-taken-over',
        r.step_id || null,
        r.item >= 0 ? r.item : null,
        r.attempt,
        JSON.stringify({ previousWorker: r.lease_owner, kind: r.kind, takeovers: r.takeovers + 1 }),
      ]),
    );
    if (requeue.length > 0) {
      const ids = st.p(requeue.map((r) => r.id));
      st.add(
        `UPDATE tasks SET lease_owner = NULL, visible_at = ${now}, takeovers = takeovers + 1, started_at = NULL WHERE id = ANY(${ids}::bigint[])`,
      );
      this.requeueSteps(t, st, requeue);
      st.notifyWork('tasks');
    }
    if (exhausted.length > 0)
      st.add(`DELETE FROM tasks WHERE id = ANY(${st.p(exhausted.map((r) => r.id))}::bigint[])`);
    await t.exec(st);
    for (const r of exhausted) {
      await t.apply(r.run_id, {
        type: 'task-finished',
        task: { kind: r.kind as ClaimedTask['kind'], stepId: r.step_id, item: r.item, attempt: r.attempt },
        outcome: lostTooOften(r.attempt, r.takeovers + 1),
      });
    }
  }

  /** Steps of tasks going back to the queue without an outcome are scheduled again. */
  private requeueSteps(t: PgRunTransaction, st: Statement, tasks: TaskRow[]): void {
    const steps = tasks.filter((r) => r.kind === 'step');
    if (steps.length === 0) return;
    t.bump(
      st,
      steps.map((r) => r.run_id),
    );
    for (const r of steps) this.markScheduled(t, r.run_id, r.step_id);
    st.add(
      `UPDATE steps s SET status = 'scheduled' FROM unnest(${st.p(steps.map((r) => r.run_id))}::text[], ${st.p(steps.map((r) => r.step_id))}::text[]) AS x(run_id, step_id)
       WHERE s.run_id = x.run_id AND s.step_id = x.step_id AND s.status = 'running'`,
    );
  }

  /** Keep a locked run's loaded snapshot in step with {@link requeueSteps}. */
  private markScheduled(t: PgRunTransaction, runId: string, stepId: string): void {
    const rec = t.steps(runId)?.get(stepId);
    if (rec?.status === 'running') t.setStep(runId, { ...rec, status: 'scheduled' });
  }

  async renewLeases(request: {
    workerId: string;
    taskIds: string[];
    leaseMs: number;
  }): Promise<{ lost: string[] }> {
    if (request.taskIds.length === 0) return { lost: [] };
    const held = await this.read<{ id: number }>(
      'UPDATE tasks SET visible_at = $1 WHERE lease_owner = $2 AND id = ANY($3::bigint[]) RETURNING id',
      [this.now() + request.leaseMs, request.workerId, request.taskIds.map(Number)],
    );
    const kept = new Set(held.map((r) => String(r.id)));
    return { lost: request.taskIds.filter((id) => !kept.has(id)) };
  }

  async releaseTask(request: {
    taskId: string;
    workerId: string;
    delayMs: number;
    reason: string;
  }): Promise<boolean> {
    const id = Number(request.taskId);
    if (!Number.isSafeInteger(id)) return false;
    return this.tx(async (t) => {
      const task = (
        await t.query<TaskRow>('SELECT * FROM tasks WHERE id = $1 AND lease_owner = $2', [
          id,
          request.workerId,
        ])
      ).rows[0];
      if (!task) return false;
      await t.lock([task.run_id]);
      // Read again under the run's lock: the lease may have been taken over meanwhile.
      const still = await t.query('SELECT 1 FROM tasks WHERE id = $1 AND lease_owner = $2', [
        id,
        request.workerId,
      ]);
      if (still.rows.length === 0) return false;
      const st = new Statement();
      st.add(
        `UPDATE tasks SET lease_owner = NULL, visible_at = ${st.p(t.now + request.delayMs)}, started_at = NULL
         WHERE id = ${st.p(id)} AND lease_owner = ${st.p(request.workerId)}`,
      );
      this.requeueSteps(t, st, [task]);
      insertHistory(st, [
        [
          task.run_id,
          t.now,
          'task-released',
          task.step_id || null,
          task.item >= 0 ? task.item : null,
          task.attempt,
          JSON.stringify({ workerId: request.workerId, reason: request.reason, retryInMs: request.delayMs }),
        ],
      ]);
      st.notifyWork('tasks', request.delayMs > 0 ? t.now + request.delayMs : undefined);
      await t.exec(st);
      return true;
    });
  }

  async releaseLeases(workerId: string): Promise<number> {
    if (this.closed) return 0;
    return this.tx(async (t) => {
      const held = (await t.query<TaskRow>('SELECT * FROM tasks WHERE lease_owner = $1', [workerId])).rows;
      if (held.length === 0) return 0;
      await t.lock(held.map((r) => r.run_id));
      const st = new Statement();
      const now = t.now;
      const owner = st.p(workerId);
      st.add(
        `INSERT INTO attempts (run_id, kind, step_id, item, attempt, worker_id, status, started_at, finished_at)
         SELECT run_id, kind, step_id, item, attempt, lease_owner, 'lost', COALESCE(started_at, ${now}), ${now} FROM tasks WHERE lease_owner = ${owner}`,
      );
      st.add(
        `UPDATE tasks SET lease_owner = NULL, visible_at = ${now}, started_at = NULL WHERE lease_owner = ${owner}`,
      );
      this.requeueSteps(t, st, held);
      st.notifyWork('tasks');
      await t.exec(st);
      return held.length;
    });
  }

  completeTask(completion: TaskCompletion): Promise<CompletionResult> {
    return this.enqueue<CompletionResult>({ kind: 'complete', completion });
  }

  /**
   * Queue a write for the next group commit: completions and new runs that arrive in the same
   * event-loop turn share one transaction, and none resolves before it commits.
   */
  private enqueue<T>(op: BatchOp): Promise<T> {
    if (this.closed) return Promise.reject(new BatonError('STORE_UNAVAILABLE', 'the store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ op, resolve: resolve as (value: never) => void, reject });
      if (this.pending.length >= this.maxBatch) {
        void this.flush();
      } else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Commit every pending write in one transaction, then acknowledge them. */
  private async flush(): Promise<void> {
    this.flushScheduled = false;
    if (this.flushing >= MAX_CONCURRENT_FLUSHES || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.maxBatch);
    this.flushing++;
    try {
      await this.commitBatch(batch);
    } finally {
      this.flushing--;
      if (this.pending.length > 0 && !this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    }
  }

  private async commitBatch(batch: PendingOp[]): Promise<void> {
    let results: unknown[];
    try {
      results = await this.tx((t) =>
        this.runBatch(
          t,
          batch.map((p) => p.op),
        ),
      );
    } catch (error) {
      // The database stayed out of reach: none of them can commit now.
      if (error instanceof BatonError && error.code === 'STORE_UNAVAILABLE') {
        for (const p of batch) p.reject(error);
        return;
      }
      // The whole transaction rolled back, so nothing is written. Redo each write in a transaction of
      // its own, so one bad write cannot fail its neighbours.
      for (const p of batch) {
        try {
          p.resolve((await this.tx((t) => this.runBatch(t, [p.op])))[0] as never);
        } catch (error) {
          p.reject(error);
        }
      }
      return;
    }
    batch.forEach((p, i) => {
      p.resolve(results[i] as never);
    });
  }

  /** Apply a batch of writes in one transaction; results in the batch's order. */
  private async runBatch(t: PgRunTransaction, ops: BatchOp[]): Promise<unknown[]> {
    const results: unknown[] = new Array(ops.length);
    const completes: number[] = [];
    const creates: number[] = [];
    ops.forEach((op, i) => {
      (op.kind === 'complete' ? completes : creates).push(i);
    });
    if (completes.length > 0) {
      const done = await this.completeBatch(
        t,
        completes.map((i) => (ops[i] as { completion: TaskCompletion }).completion),
      );
      completes.forEach((i, j) => {
        results[i] = done[j];
      });
    }
    if (creates.length > 0) {
      const made = await this.createMany(
        t,
        creates.map((i) => ops[i] as CreateOp),
      );
      creates.forEach((i, j) => {
        results[i] = made[j];
      });
    }
    return results;
  }

  private async completeBatch(t: PgRunTransaction, all: TaskCompletion[]): Promise<CompletionResult[]> {
    await t.lock(all.map((c) => c.task.runId));
    // A completion sent twice in one batch counts once.
    const key = (c: TaskCompletion) => `${c.task.id}\u0000${c.workerId}`;
    const firsts = new Set<TaskCompletion>();
    const keys = new Set<string>();
    for (const c of all) {
      if (keys.has(key(c))) continue;
      keys.add(key(c));
      firsts.add(c);
    }
    const completions = [...firsts];
    // The fencing check, the removal and the attempt's record in one statement: only the lease
    // holder's outcome counts.
    const removed = await t.query<{ id: number; lease_owner: string }>(
      `WITH x AS (
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::int[], $8::text[], $9::bigint[], $10::text[])
           AS x(id, owner, run_id, attempt, kind, step_id, item, status, started_at, error)
       ),
       d AS (
         DELETE FROM tasks t USING x
         WHERE t.id = x.id AND t.lease_owner = x.owner AND t.run_id = x.run_id AND t.attempt = x.attempt
         RETURNING t.id, t.lease_owner, t.started_at
       ),
       a AS (
         INSERT INTO attempts (run_id, kind, step_id, item, attempt, worker_id, status, started_at, finished_at, error)
         SELECT x.run_id, x.kind, x.step_id, x.item, x.attempt, x.owner, x.status, COALESCE(x.started_at, d.started_at, $11), $11, x.error
         FROM x JOIN d ON d.id = x.id AND d.lease_owner = x.owner
       )
       SELECT id, lease_owner FROM d`,
      [
        completions.map((c) => {
          const id = Number(c.task.id);
          return Number.isSafeInteger(id) ? id : -1;
        }),
        completions.map((c) => c.workerId),
        completions.map((c) => c.task.runId),
        completions.map((c) => c.task.attempt),
        completions.map((c) => c.task.kind),
        completions.map((c) => c.task.stepId),
        completions.map((c) => c.task.item),
        completions.map((c) => (c.outcome.type === 'failed' ? 'failed' : 'succeeded')),
        completions.map((c) => c.task.startedAt ?? null),
        completions.map((c) => (c.outcome.type === 'failed' ? JSON.stringify(c.outcome.error) : null)),
        t.now,
      ],
    );
    // Keyed by task and owner: a stale worker completing the same task in the same batch as the lease
    // holder must not pass.
    const accepted = new Set(removed.rows.map((r) => `${r.id}\u0000${r.lease_owner}`));
    const results: CompletionResult[] = [];
    for (const c of all) {
      if (!firsts.has(c) || !accepted.has(key(c))) {
        results.push({ accepted: false, dispatched: [] });
        continue;
      }
      const dispatched = await t.apply(
        c.task.runId,
        {
          type: 'task-finished',
          task: { kind: c.task.kind, stepId: c.task.stepId, item: c.task.item, attempt: c.task.attempt },
          outcome: c.outcome,
        },
        c.dispatch ? { workerId: c.workerId, limit: c.dispatch, leaseMs: c.leaseMs ?? 10_000 } : undefined,
      );
      results.push({ accepted: true, dispatched });
    }
    return results;
  }

  async fireDueTimers(limit: number): Promise<number> {
    const now = this.now();
    const due = await this.read<{ id: number; run_id: string }>(
      'SELECT id, run_id FROM timers WHERE fire_at <= $1 ORDER BY fire_at LIMIT $2',
      [now, limit],
    );
    if (due.length === 0) return 0;
    return this.tx(async (t) => {
      // Runs first (skipping those another worker is writing), then their timers.
      const locked = await t.query<{ id: string }>(
        'SELECT id FROM runs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE SKIP LOCKED',
        [[...new Set(due.map((d) => d.run_id))]],
      );
      // Timers of runs that are gone (pruned by hand) would stay due for ever.
      await t.query(
        'DELETE FROM timers t WHERE t.id = ANY($1::bigint[]) AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = t.run_id)',
        [due.map((d) => d.id)],
      );
      if (locked.rows.length === 0) return 0;
      const fired = await t.query<{ id: number; run_id: string; step_id: string | null; kind: string }>(
        'DELETE FROM timers WHERE id = ANY($1::bigint[]) AND run_id = ANY($2::text[]) AND fire_at <= $3 RETURNING *',
        [due.map((d) => d.id), locked.rows.map((r) => r.id), t.now],
      );
      await t.lock(locked.rows.map((r) => r.id));
      for (const timer of fired.rows.sort((a, b) => a.id - b.id)) {
        try {
          await t.apply(timer.run_id, {
            type: 'timer-fired',
            stepId: timer.step_id,
            timer: timer.kind as 'sleep',
          });
        } catch (error) {
          // A rejected command writes nothing; a timer whose run is gone must not block the others.
          if (!(error instanceof BatonError)) throw error;
        }
      }
      return fired.rows.length;
    });
  }

  async nextTimerAt(): Promise<number | undefined> {
    const row = (await this.read<{ at: number | null }>('SELECT MIN(fire_at) AS at FROM timers'))[0];
    return row?.at ?? undefined;
  }

  async cancelRun(runId: string, reason: string, by?: string): Promise<Run> {
    return this.tx(async (t) => {
      await t.apply(runId, { type: 'cancel', reason, ...(by === undefined ? {} : { by }) });
      return toRun(t.row(runId) as RunRow);
    });
  }

  async decide(runId: string, stepId: string, decision: ApprovalDecision): Promise<void> {
    await this.tx(async (t) => {
      await t.apply(runId, { type: 'decision', stepId, decision });
    });
  }

  async publishEvent(key: string, payload: unknown): Promise<{ woken: number }> {
    const json = JSON.stringify(payload === undefined ? null : payload);
    if (json.length > this.maxPayloadBytes) {
      throw new BatonError(
        'PAYLOAD_TOO_LARGE',
        `event payload of ${json.length} bytes exceeds the ${this.maxPayloadBytes}-byte limit`,
      );
    }
    return this.tx(async (t) => {
      const waitingOn = async () =>
        (
          await t.query<{ run_id: string }>(
            'SELECT DISTINCT run_id FROM waits WHERE key = $1 AND since <= $2',
            [key, t.now],
          )
        ).rows.map((w) => w.run_id);
      // The waiting runs first, then the key's lock: the order in which a run reaching a wait takes them,
      // so the two cannot deadlock (a run that starts waiting in between is locked after; rare, retried).
      await t.lock(await waitingOn());
      // Taken by runs reaching a wait on this key too: either they see this event or it sees their wait.
      await t.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`baton.event:${key}`]);
      const inserted = await t.query<{ id: number }>(
        'INSERT INTO events (key, payload, at) VALUES ($1, $2, $3) RETURNING id',
        [key, json, t.now],
      );
      const eventId = (inserted.rows[0] as { id: number }).id;
      const runIds = await waitingOn();
      await t.lock(runIds);
      // Read again under the runs' locks: a wait may have ended meanwhile.
      const waits = await t.query<{ run_id: string; step_id: string }>(
        'SELECT run_id, step_id FROM waits WHERE key = $1 AND since <= $2 AND run_id = ANY($3::text[]) ORDER BY run_id, step_id',
        [key, t.now, runIds],
      );
      let woken = 0;
      for (const w of waits.rows) {
        try {
          await t.apply(w.run_id, { type: 'event', stepId: w.step_id, key, payload });
          await t.deliver(w.run_id, eventId);
          woken++;
        } catch (error) {
          if (!(error instanceof BatonError)) throw error;
        }
      }
      return { woken };
    });
  }

  async prune(before: number): Promise<PruneResult> {
    let runs = 0;
    const tables = [
      'steps',
      'attempts',
      'history',
      'tasks',
      'timers',
      'waits',
      'map_items',
      'event_deliveries',
    ];
    for (;;) {
      // Small transactions, so a large prune never holds locks for long.
      const n = await this.tx(async (t) => {
        const ids = (
          await t.query<{ id: string }>(
            `SELECT id FROM runs WHERE finished_at IS NOT NULL AND finished_at < $1 AND status IN ('succeeded', 'failed', 'cancelled')
             ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED`,
            [before],
          )
        ).rows.map((r) => r.id);
        if (ids.length === 0) return 0;
        const st = new Statement();
        const list = st.p(ids);
        for (const table of tables) st.add(`DELETE FROM ${table} WHERE run_id = ANY(${list}::text[])`);
        st.add(`DELETE FROM runs WHERE id = ANY(${list}::text[])`);
        await t.exec(st);
        return ids.length;
      });
      runs += n;
      if (n === 0) break;
    }
    const events = await this.read<{ n: number }>(
      'WITH d AS (DELETE FROM events WHERE at < $1 RETURNING 1) SELECT count(*)::int AS n FROM d',
      [before],
    );
    return { runs, events: events[0]?.n ?? 0 };
  }

  onRunFinished(listener: (run: { id: string; status: RunStatus }) => void): () => void {
    this.emitter.on('run-finished', listener);
    return () => this.emitter.off('run-finished', listener);
  }

  onWork(listener: (timers: boolean) => void): () => void {
    this.emitter.on('work', listener);
    return () => this.emitter.off('work', listener);
  }
}

/** The steps cache of a process, bounded: the least recently used run goes first. */
class LruStepsCache implements StepsCache {
  private readonly entries = new Map<string, { rev: number; steps: Map<string, StepRecord> }>();
  constructor(private readonly max: number) {}

  get(runId: string) {
    const entry = this.entries.get(runId);
    if (entry) {
      this.entries.delete(runId);
      this.entries.set(runId, entry);
    }
    return entry;
  }

  set(runId: string, rev: number, steps: Map<string, StepRecord>): void {
    this.entries.delete(runId);
    this.entries.set(runId, { rev, steps });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
  }
}

/** A Postgres error as a {@link BatonError} where it is one the caller can act on. */
function translate(error: unknown): unknown {
  const code = (error as { code?: unknown })?.code;
  if (code === '57014') {
    return new BatonError('STORE_UNAVAILABLE', 'a database statement timed out', {
      hint: 'The database is overloaded or a lock is held too long; raise statementTimeoutMs if this is expected',
      cause: error,
    });
  }
  return error;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
