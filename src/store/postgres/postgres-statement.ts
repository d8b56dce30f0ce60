/**
 * How the Postgres adapter writes: one statement made of writable CTEs over `unnest`ed arrays, named
 * so that each connection plans a shape once, with the `NOTIFY`s that go out at commit.
 * @module
 */
import { createHash } from 'node:crypto';
import type { RunRow } from '../rows.js';
import type { EventRow } from '../transition-plan.js';
import type { PgQueryable, PgResult } from './postgres-driver.js';

/** The channel workers LISTEN on; see {@link addWorkNotice} for the payloads. */
export const WORK_CHANNEL = 'baton_work';

/** A column and its Postgres type, for `unnest`. */
export type Column = [name: string, type: string];

export const STEP_COLUMNS: Column[] = [
  ['run_id', 'text'],
  ['step_id', 'text'],
  ['status', 'text'],
  ['attempt', 'int'],
  ['output', 'text'],
  ['error', 'text'],
  ['started_at', 'bigint'],
  ['finished_at', 'bigint'],
  ['seq', 'int'],
  ['wait', 'text'],
  ['map', 'text'],
  ['compensation', 'text'],
  ['compensation_attempt', 'int'],
];

export const TASK_COLUMNS: Column[] = [
  ['run_id', 'text'],
  ['kind', 'text'],
  ['step_id', 'text'],
  ['item', 'int'],
  ['attempt', 'int'],
  ['priority', 'int'],
  ['tenant', 'text'],
  ['concurrency_key', 'text'],
  ['concurrency_limit', 'int'],
  ['visible_at', 'bigint'],
  ['lease_owner', 'text'],
  ['started_at', 'bigint'],
];

export const RUN_COLUMNS: [keyof RunRow & string, string][] = [
  ['id', 'text'],
  ['workflow', 'text'],
  ['version_id', 'text'],
  ['status', 'text'],
  ['phase', 'text'],
  ['input', 'text'],
  // A run is inserted as its first transition leaves it (started, at least): every column a transition
  // sets, or the insert drops it (runs had no started_at on Postgres; their durations were unknown).
  ['output', 'text'],
  ['error', 'text'],
  ['priority', 'int'],
  ['tenant', 'text'],
  ['idempotency_key', 'text'],
  ['parent_run_id', 'text'],
  ['parent_step_id', 'text'],
  ['depth', 'int'],
  ['trace_id', 'text'],
  ['tags', 'text'],
  ['created_at', 'bigint'],
  ['started_at', 'bigint'],
  ['finished_at', 'bigint'],
  ['deadline_at', 'bigint'],
  ['concurrency_key', 'text'],
  ['concurrency_limit', 'int'],
];

/** The columns of a run's row that a transition changes. */
export const RUN_UPDATE_COLUMNS: [keyof RunRow & string, string][] = [
  ['id', 'text'],
  ['status', 'text'],
  ['phase', 'text'],
  ['error', 'text'],
  ['output', 'text'],
  ['started_at', 'bigint'],
  ['finished_at', 'bigint'],
];

export const ITEM_COLUMNS: Column[] = [
  ['run_id', 'text'],
  ['step_id', 'text'],
  ['idx', 'int'],
  ['input', 'text'],
];

export const ITEM_RESULT_COLUMNS: Column[] = [
  ['run_id', 'text'],
  ['step_id', 'text'],
  ['idx', 'int'],
  ['ok', 'boolean'],
  ['output', 'text'],
  ['error', 'text'],
];

export const TIMER_COLUMNS: Column[] = [
  ['run_id', 'text'],
  ['step_id', 'text'],
  ['kind', 'text'],
  ['fire_at', 'bigint'],
];

export const WAIT_COLUMNS: Column[] = [
  ['run_id', 'text'],
  ['step_id', 'text'],
  ['key', 'text'],
  ['since', 'bigint'],
  ['tenant', 'text'],
];

/** Columns of the approvals inbox, in {@link APPROVAL_COLUMNS} order. */
export const APPROVAL_PG_COLUMNS: Column[] = [
  ['run_id', 'text'],
  ['step_id', 'text'],
  ['tenant', 'text'],
  ['workflow', 'text'],
  ['version_id', 'text'],
  ['since', 'bigint'],
  ['assignee', 'text'],
  ['role', 'text'],
  ['escalation_due_at', 'bigint'],
  ['request', 'text'],
];

const HISTORY_COLUMNS: Column[] = [
  ['run_id', 'text'],
  ['at', 'bigint'],
  ['type', 'text'],
  ['step_id', 'text'],
  ['item', 'int'],
  ['attempt', 'int'],
  ['data', 'text'],
];

/** A history row with its run. */
export type HistoryRow = [string, ...EventRow];

/**
 * Add a notice for idle workers to a set sent at commit: `w` tasks are ready, `t` timers were written,
 * `d:<ms>` tasks become ready then (a retry's backoff), so workers wake on time instead of at their poll.
 * Only the earliest `d:` is kept.
 */
export function addWorkNotice(notices: Set<string>, what: 'tasks' | 'timers', readyAt?: number): void {
  if (what === 'timers') {
    notices.add('t');
    return;
  }
  if (readyAt === undefined) {
    notices.add('w');
    return;
  }
  const earlier = [...notices].find((n) => n.startsWith('d:'));
  if (earlier !== undefined && Number(earlier.slice(2)) <= readyAt) return;
  if (earlier !== undefined) notices.delete(earlier);
  notices.add(`d:${readyAt}`);
}

const statementNames = new Map<string, string>();

/** Builds one statement out of writable CTEs; every CTE sees the rows as they were before the statement. */
export class Statement {
  readonly params: unknown[] = [];
  private readonly ctes: string[] = [];
  private returning = 'NULL::json AS leased';
  private readonly notices = new Set<string>();

  p(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  add(sql: string): void {
    this.ctes.push(`w${this.ctes.length} AS (${sql})`);
  }

  /** `SELECT * FROM unnest(…)` over rows, one array parameter per column. */
  unnest(columns: Column[], rows: unknown[][]): string {
    const arrays = columns.map(([, type], i) => `${this.p(rows.map((r) => r[i] ?? null))}::${type}[]`);
    return `SELECT * FROM unnest(${arrays.join(', ')}) AS x(${columns.map(([c]) => c).join(', ')})`;
  }

  /** `INSERT INTO table (columns) SELECT * FROM unnest(…)`, with an optional tail (`ON CONFLICT …`). */
  insert(table: string, columns: Column[], rows: unknown[][], tail = ''): string {
    return `INSERT INTO ${table} (${columns.map(([c]) => c).join(', ')}) ${this.unnest(columns, rows)}${tail}`;
  }

  /** Append history rows. */
  history(rows: HistoryRow[]): void {
    if (rows.length > 0) this.add(this.insert('history', HISTORY_COLUMNS, rows));
  }

  /** The leased tasks this statement inserts, returned as `[[id, run_id, kind, step_id, item, attempt], …]`. */
  returnLeased(sql: string): void {
    this.ctes.push(`leased AS (${sql})`);
    this.returning = `(SELECT json_agg(json_build_array(id, run_id, kind, step_id, item, attempt)) FROM leased WHERE lease_owner IS NOT NULL) AS leased`;
  }

  /** Tell idle workers everywhere, at commit (see {@link addWorkNotice}). */
  notifyWork(what: 'tasks' | 'timers', readyAt?: number): void {
    addWorkNotice(this.notices, what, readyAt);
  }

  /** Carry the notices staged writes collected. */
  notifyAll(notices: Iterable<string>): void {
    for (const n of notices) this.notices.add(n);
  }

  /**
   * Run the statement. Statements of the same shape share a name, so each connection parses and plans
   * a shape once (a transition's statement is a dozen CTEs: planning it cost as much as running it).
   */
  run<R = Record<string, unknown>>(db: PgQueryable & { named?: boolean }): Promise<PgResult<R>> {
    const text = this.text();
    // Off where one session serves every connection (PGlite): two connections would prepare one name.
    if (db.named === false) return db.query<R>(text, this.params);
    let name = statementNames.get(text);
    if (name === undefined) {
      name = `baton_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      if (statementNames.size >= 2000) statementNames.clear();
      statementNames.set(text, name);
    }
    return db.query<R>({ name, text, values: this.params });
  }

  text(): string {
    const n = [...this.notices].map((payload) => `, pg_notify('${WORK_CHANNEL}', '${payload}')`).join('');
    return `${this.ctes.length ? `WITH ${this.ctes.join(',\n')} ` : ''}SELECT ${this.returning}${n}`;
  }
}
