/**
 * The {@link MetricsSource} in SQL, shared by the SQLite and Postgres adapters: they differ only in
 * how they run a statement, name a table and read a JSON field, which the {@link SqlDialect} says.
 * @module
 */
import type {
  DurationRow,
  HistoryRange,
  MetricsSource,
  QueueState,
  TimeRange,
  ToolCallRow,
} from './source.js';
import { bucketSql } from './tally.js';

/** What an adapter supplies: statements with `?` placeholders, run read-only. */
export interface SqlDialect {
  all(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** The table's name as statements write it (schema-qualified on Postgres). */
  table(name: string): string;
  /** A SQL expression reading a top-level field of a JSON text column, as text. */
  jsonText(column: string, field: string): string;
  hasTable(name: string): Promise<boolean>;
  close(): Promise<void>;
  /**
   * The history head read when the source was opened, answered by the first `historyHead()`: an
   * adapter whose reads start late (on a thread still starting) still marks the exporter's start.
   */
  openedAtHead?: number;
}

/** How many of the latest attempts {@link MetricsSource.workers} looks at. */
const RECENT_ATTEMPTS = 1000;

/** Longest list of run ids one `IN (...)` statement carries. */
const IDS_PER_STATEMENT = 500;

/** {@link MetricsSource} over a {@link SqlDialect}. */
export class SqlMetricsSource implements MetricsSource {
  #auditTable: Promise<boolean> | undefined;

  #openedAtHead: number | undefined;

  constructor(private readonly sql: SqlDialect) {
    this.#openedAtHead = sql.openedAtHead;
  }

  async historyHead(): Promise<number> {
    const opened = this.#openedAtHead;
    if (opened !== undefined) {
      this.#openedAtHead = undefined;
      return opened;
    }
    const [row] = await this.sql.all(`SELECT max(seq) AS head FROM ${this.sql.table('history')}`, []);
    return num(row?.head);
  }

  async finishedRuns(range: TimeRange, bounds: readonly number[]): Promise<DurationRow[]> {
    const rows = await this.sql.all(
      `SELECT workflow, status, ${bucketSql('d', bounds)} AS bucket, count(*) AS n, sum(d) AS s
       FROM (SELECT workflow, status, (finished_at - created_at) / 1000.0 AS d
             FROM ${this.sql.table('runs')} WHERE finished_at >= ? AND finished_at < ?) x
       GROUP BY workflow, status, bucket`,
      [range.from, range.to],
    );
    return rows.map(durationRow);
  }

  async finishedSteps(range: HistoryRange, bounds: readonly number[]): Promise<DurationRow[]> {
    const t = (name: string) => this.sql.table(name);
    const rows = await this.sql.all(
      `SELECT workflow, status, ${bucketSql('d', bounds)} AS bucket, count(*) AS n, sum(d) AS s
       FROM (SELECT r.workflow AS workflow,
                    CASE h.type WHEN 'step-succeeded' THEN 'succeeded' ELSE 'failed' END AS status,
                    (h.at - s.started_at) / 1000.0 AS d
             FROM ${t('history')} h
             JOIN ${t('steps')} s ON s.run_id = h.run_id AND s.step_id = h.step_id
             JOIN ${t('runs')} r ON r.id = h.run_id
             WHERE h.type IN ('step-succeeded', 'step-failed') AND h.seq > ? AND h.at >= ? AND h.at < ?
               AND s.started_at IS NOT NULL) x
       GROUP BY workflow, status, bucket`,
      [range.afterSeq, range.from, range.to],
    );
    return rows.map(durationRow);
  }

  async countEvents(
    range: HistoryRange,
    types: readonly string[],
  ): Promise<Array<{ workflow: string; type: string; count: number }>> {
    if (types.length === 0) return [];
    const rows = await this.sql.all(
      `SELECT r.workflow AS workflow, h.type AS type, count(*) AS n
       FROM ${this.sql.table('history')} h JOIN ${this.sql.table('runs')} r ON r.id = h.run_id
       WHERE h.type IN (${types.map(() => '?').join(', ')}) AND h.seq > ? AND h.at >= ? AND h.at < ?
       GROUP BY r.workflow, h.type`,
      [...types, range.afterSeq, range.from, range.to],
    );
    return rows.map((r) => ({ workflow: String(r.workflow), type: String(r.type), count: num(r.n) }));
  }

  async activeRuns(): Promise<Array<{ workflow: string; status: string; count: number }>> {
    const rows = await this.sql.all(
      `SELECT workflow, status, count(*) AS n FROM ${this.sql.table('runs')}
       WHERE status IN ('queued', 'running', 'waiting') GROUP BY workflow, status`,
      [],
    );
    return rows.map((r) => ({ workflow: String(r.workflow), status: String(r.status), count: num(r.n) }));
  }

  async queue(now: number): Promise<QueueState> {
    const tasks = this.sql.table('tasks');
    const [ready] = await this.sql.all(
      `SELECT count(*) AS n, min(visible_at) AS oldest FROM ${tasks}
       WHERE lease_owner IS NULL AND visible_at <= ?`,
      [now],
    );
    const [leased] = await this.sql.all(
      `SELECT count(*) AS n FROM ${tasks} WHERE lease_owner IS NOT NULL AND visible_at > ?`,
      [now],
    );
    const oldest = ready?.oldest;
    return {
      ready: num(ready?.n),
      oldestReadyAt: oldest === null || oldest === undefined ? undefined : num(oldest),
      leased: num(leased?.n),
    };
  }

  async workers(now: number, seenSince: number): Promise<string[]> {
    const holding = await this.sql.all(
      `SELECT DISTINCT lease_owner AS w FROM ${this.sql.table('tasks')}
       WHERE lease_owner IS NOT NULL AND visible_at > ?`,
      [now],
    );
    const recent = await this.sql.all(
      `SELECT DISTINCT worker_id AS w FROM
         (SELECT worker_id, finished_at FROM ${this.sql.table('attempts')} ORDER BY id DESC LIMIT ${RECENT_ATTEMPTS}) a
       WHERE finished_at >= ?`,
      [seenSince],
    );
    return [...new Set([...holding, ...recent].map((r) => String(r.w)))];
  }

  async workflowsOf(runIds: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (let i = 0; i < runIds.length; i += IDS_PER_STATEMENT) {
      const ids = runIds.slice(i, i + IDS_PER_STATEMENT);
      const rows = await this.sql.all(
        `SELECT id, workflow FROM ${this.sql.table('runs')} WHERE id IN (${ids.map(() => '?').join(', ')})`,
        ids,
      );
      for (const r of rows) found.set(String(r.id), String(r.workflow));
    }
    return found;
  }

  async toolCalls(range: TimeRange, bounds: readonly number[]): Promise<ToolCallRow[] | undefined> {
    this.#auditTable ??= this.sql.hasTable('agent_audit');
    if (!(await this.#auditTable)) {
      // Agents may be enabled after the first scrape: look again next time.
      this.#auditTable = undefined;
      return undefined;
    }
    const duration = `${this.sql.jsonText('data', 'durationMs')}`;
    const rows = await this.sql.all(
      `SELECT tool, outcome, code, ${bucketSql('d', bounds)} AS bucket, count(*) AS n, sum(d) AS s
       FROM (SELECT subject AS tool, outcome, ${this.sql.jsonText('data', 'errorCode')} AS code,
                    COALESCE(CAST(${duration} AS DOUBLE PRECISION), 0) / 1000.0 AS d
             FROM ${this.sql.table('agent_audit')} WHERE at >= ? AND at < ? AND type = 'tool') x
       GROUP BY tool, outcome, code, bucket`,
      [range.from, range.to],
    );
    return rows.map((r) => ({
      tool: String(r.tool),
      outcome: String(r.outcome),
      code: r.code === null || r.code === undefined ? undefined : String(r.code),
      bucket: num(r.bucket),
      count: num(r.n),
      sum: num(r.s),
    }));
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}

/** Postgres returns `bigint` and `numeric` as text. */
function num(value: unknown): number {
  if (value === null || value === undefined) return 0;
  return Number(value);
}

function durationRow(r: Record<string, unknown>): DurationRow {
  return {
    workflow: String(r.workflow),
    status: String(r.status),
    bucket: num(r.bucket),
    count: num(r.n),
    sum: num(r.s),
  };
}
