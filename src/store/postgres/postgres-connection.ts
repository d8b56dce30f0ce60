/**
 * The Postgres adapter's connections: a bounded pool, migrations under an advisory lock, transactions
 * retried across outages (and never run twice when only the COMMIT's acknowledgement was lost), and one
 * `LISTEN` connection that tells the process when other processes wrote work.
 * @module
 */
import pg from 'pg';
import { BatonError } from '../../core/errors.js';
import { applyMigrations } from './apply-migrations.js';
import { MIGRATIONS } from './migrations/index.js';
import type { PgClient, PgPool, PgPoolClient, PgQueryable } from './postgres-driver.js';
import { pgTypes } from './postgres-rows.js';
import { WORK_CHANNEL } from './postgres-statement.js';

/** How the adapter connects. */
export interface PgConnectionOptions {
  connectionString: string;
  schema?: string | undefined;
  poolSize?: number | undefined;
  statementTimeoutMs?: number | undefined;
  reconnectTimeoutMs?: number | undefined;
  random: () => number;
}

/** A connection that runs named statements unless the server shares one session between connections. */
export type PgSession = PgQueryable & { named: boolean };

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

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pool, the listener and the transaction runner of one store. */
export class PgConnection {
  private readonly pool: PgPool;
  private readonly reconnectTimeoutMs: number;
  private readonly guarded = new WeakSet<PgPoolClient>();
  /** Named statements, unless the server shares one session between connections (PGlite). */
  private named = true;
  private closed = false;
  private listener: PgClient | undefined;
  private listenerRetry: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeTimerAt = Number.POSITIVE_INFINITY;
  /** True while the LISTEN connection is up. */
  listening = false;

  /** `onWork` hears of work other processes (or this one) wrote: `true` when timers were written. */
  constructor(
    private readonly options: PgConnectionOptions,
    private readonly onWork: (timers: boolean) => void,
  ) {
    this.reconnectTimeoutMs = options.reconnectTimeoutMs ?? 30_000;
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

  /** Where the database is, for messages (never the password). */
  where(): string {
    try {
      const url = new URL(this.options.connectionString);
      return `${url.host}${url.pathname}${this.options.schema ? ` (schema ${this.options.schema})` : ''}`;
    } catch {
      return 'the configured database';
    }
  }

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

  /** Check the server, migrate, and start listening. */
  async open(): Promise<void> {
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
    const { rows } = await client.query<{ num: string; about: string }>(
      "SELECT current_setting('server_version_num') AS num, version() AS about",
    );
    const serverVersion = Number(rows[0]?.num ?? 0);
    if (/emscripten|wasm/i.test(rows[0]?.about ?? '')) this.named = false;
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
      await applyMigrations(client, {
        table: 'baton_schema',
        migrations: MIGRATIONS,
        tooNew: {
          what: `the database at ${this.where()}`,
          hint: 'Upgrade this Baton to the version the other workers run, or point it at another database',
        },
      });
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** A dedicated connection that LISTENs for work; reconnects with backoff when it drops. */
  private async listen(delayMs = 0): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(this.connectionConfig()) as unknown as PgClient;
    const retry = () => {
      this.listening = false;
      endQuietly(client);
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
        else this.onWork(payload === 't');
      });
      await client.connect();
      await client.query(`LISTEN ${WORK_CHANNEL}`);
      if (this.closed) {
        // Closed while this connection was being made: nothing will end it later.
        await endQuietly(client);
        return;
      }
      this.listener = client;
      this.listening = true;
      // Whatever was written while the listener was down: look now.
      if (delayMs > 0) this.onWork(true);
    } catch {
      retry();
    }
  }

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
        this.onWork(false);
      },
      Math.max(0, at - Date.now()) + 5,
    );
    this.wakeTimer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.listenerRetry) clearTimeout(this.listenerRetry);
    const listener = this.listener;
    this.listener = undefined;
    this.listening = false;
    if (listener) await endQuietly(listener);
    await this.pool.end();
  }

  /** Run `work`, retrying transient failures with backoff until `reconnectTimeoutMs` has passed. */
  async withRetry<T>(work: () => Promise<T>): Promise<T> {
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
        await sleep(Math.min(50 * 2 ** attempt, 1000) * (0.5 + this.options.random()));
      }
    }
  }

  /** A read outside any transaction, retried on transient failures. */
  read<R>(text: string, values?: unknown[]): Promise<R[]> {
    return this.withRetry(async () => (await this.pool.query<R>(text, values)).rows);
  }

  /** The pool, for reads outside a transaction. */
  get reader(): PgQueryable {
    return this.pool;
  }

  /**
   * One transaction, retried as a whole on transient failures. If the connection breaks during
   * COMMIT, the outcome is unknown: the transaction's id, read at BEGIN, tells on a fresh connection
   * whether it committed, so a committed transaction is not run twice.
   */
  transaction<T>(work: (db: PgSession) => Promise<T>): Promise<T> {
    return this.withRetry(async () => {
      const client = await this.connect();
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
        result = await work(Object.assign(client, { named: this.named }));
        committing = true;
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        if (isConnectionError(error)) {
          client.release(error as Error);
          // The work ran to the end and the server kept it: its result stands.
          if (committing && xid !== undefined && (await this.committed(xid))) return result as T;
        } else {
          await client.query('ROLLBACK').catch(() => undefined);
          client.release();
        }
        throw error;
      }
    });
  }

  /**
   * Whether a transaction whose COMMIT lost its connection did commit; asks until the server answers.
   * Only while the server has not restarted: recovery may hand an id that never reached the disk to
   * another transaction, so after a restart the answer would be about someone else. Then the work is
   * run again, which every operation tolerates (a run's id is fixed, a completion is fenced).
   */
  private async committed(xid: { id: string; serverStarted: string }): Promise<boolean> {
    for (;;) {
      const rows = await this.read<{ status: string | null; started: string }>(
        'SELECT txid_status($1::bigint) AS status, pg_postmaster_start_time()::text AS started',
        [xid.id],
      );
      const row = rows[0];
      if (!row || row.started !== xid.serverStarted) return false;
      if (row.status === 'committed') return true;
      if (row.status !== 'in progress') return false;
      await sleep(50);
    }
  }
}

/** End a dedicated client, ignoring what it says on the way out. */
function endQuietly(client: PgClient): Promise<void> {
  client.removeAllListeners();
  client.on('error', () => undefined);
  return client.end().catch(() => undefined);
}
