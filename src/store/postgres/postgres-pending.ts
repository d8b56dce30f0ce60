/**
 * Transitions staged in memory by a Postgres transaction and written together: every run a group
 * commit touches (child runs included) goes out in one statement. The rule that makes this safe: two
 * parts of one statement must not touch the same row, so a transition that would (see
 * {@link PendingWrites.clashes}) has the staged writes flushed first.
 * @module
 */
import type { NewTask, Transition } from '../../core/commands.js';
import type { ClaimedTask } from '../../core/types.js';
import type { RunRow } from '../rows.js';
import {
  APPROVAL_PG_COLUMNS,
  addWorkNotice,
  type HistoryRow,
  ITEM_COLUMNS,
  ITEM_RESULT_COLUMNS,
  RUN_COLUMNS,
  RUN_UPDATE_COLUMNS,
  STEP_COLUMNS,
  Statement,
  TASK_COLUMNS,
  TIMER_COLUMNS,
  WAIT_COLUMNS,
} from './postgres-statement.js';

/** The claim of a task leased in a staged transition, built once the flush knows its id. */
export interface PendingClaim {
  /** The array {@link PgRunTransaction.apply} returned, filled by the flush. */
  target: ClaimedTask[];
  task: NewTask;
  leaseExpiresAt: number;
  row: RunRow;
  steps: ClaimedTask['steps'];
  itemInputJson?: string;
}

/** A staged task row (in `TASK_COLUMNS` order). */
export interface PendingTask {
  row: unknown[];
  claim?: PendingClaim;
}

type Removal = { all: true } | { stepIds: string[] };
type Table = 'tasks' | 'timers' | 'waits';

/** Transitions staged for the next flush, many runs at once. */
export class PendingWrites {
  /** Step rows by run and step: the last write of a step wins. */
  readonly steps = new Map<string, unknown[]>();
  /** Existing runs and how their row ends up. */
  readonly runs = new Map<string, RunRow>();
  /** Runs this flush inserts, as they end up. */
  readonly newRuns = new Map<string, RunRow>();
  readonly removals: { runId: string; table: Table; which: Removal }[] = [];
  readonly items: unknown[][] = [];
  readonly itemResults: unknown[][] = [];
  readonly tasks: PendingTask[] = [];
  readonly timers: unknown[][] = [];
  readonly waits: unknown[][] = [];
  readonly history: HistoryRow[] = [];
  /** Approval inbox rows by run and step: a row to write, or null to delete (the last change wins). */
  readonly approvals = new Map<string, unknown[] | null>();
  readonly notify = new Set<string>();

  get empty(): boolean {
    return (
      this.steps.size === 0 &&
      this.runs.size === 0 &&
      this.newRuns.size === 0 &&
      this.removals.length === 0 &&
      this.items.length === 0 &&
      this.itemResults.length === 0 &&
      this.tasks.length === 0 &&
      this.timers.length === 0 &&
      this.waits.length === 0 &&
      this.history.length === 0 &&
      this.approvals.size === 0
    );
  }

  remove(runId: string, table: Table, which: Removal): void {
    this.removals.push({ runId, table, which });
  }

  notifyTasks(readyAt?: number): void {
    addWorkNotice(this.notify, 'tasks', readyAt);
  }

  /**
   * True when the transition would touch, in the same statement, a row that a staged write touches
   * too: removing a staged task, timer or wait, re-arming a wait whose removal is staged, or setting the
   * result of a map item whose insert is staged. The staged writes must go out first.
   */
  clashes(runId: string, t: Transition): boolean {
    const hits = (which: Removal, stepId: unknown) =>
      'all' in which || which.stepIds.includes(stepId as string);
    const staged = (rows: unknown[][], which: Removal) =>
      rows.some((r) => r[0] === runId && hits(which, r[1]));
    const removeTasks = t.removeTasks;
    if (removeTasks && this.tasks.some((x) => x.row[0] === runId && hits(removeTasks, x.row[2]))) return true;
    if (t.removeTimers && staged(this.timers, t.removeTimers)) return true;
    if (t.removeWaits && staged(this.waits, t.removeWaits)) return true;
    const rearmed = this.removals.some(
      (r) => r.runId === runId && r.table === 'waits' && t.waits.some((w) => hits(r.which, w.stepId)),
    );
    if (rearmed) return true;
    return t.itemResults.length > 0 && this.items.some((i) => i[0] === runId);
  }

  /**
   * The statement that writes everything staged, at time `now`; the leased tasks it inserts come back
   * as the statement's `leased` column.
   */
  statement(now: number): Statement {
    const st = new Statement();
    for (const table of ['tasks', 'timers', 'waits'] as const) {
      const cond = this.removalCondition(st, table);
      if (!cond) continue;
      if (table === 'tasks') {
        st.add(
          `INSERT INTO attempts (run_id, kind, step_id, item, attempt, worker_id, status, started_at, finished_at)
             SELECT run_id, kind, step_id, item, attempt, lease_owner, 'cancelled', COALESCE(started_at, ${now}), ${now}
             FROM tasks WHERE ${cond} AND lease_owner IS NOT NULL`,
        );
      }
      st.add(`DELETE FROM ${table} WHERE ${cond}`);
    }
    if (this.steps.size > 0) {
      st.add(
        st.insert(
          'steps',
          STEP_COLUMNS,
          [...this.steps.values()],
          ` ON CONFLICT (run_id, step_id) DO UPDATE SET ${STEP_COLUMNS.slice(2)
            .map(([c]) => `${c} = excluded.${c}`)
            .join(', ')}`,
        ),
      );
    }
    if (this.items.length > 0) st.add(st.insert('map_items', ITEM_COLUMNS, this.items));
    if (this.itemResults.length > 0) {
      st.add(
        `UPDATE map_items m SET ok = x.ok, output = x.output, error = x.error FROM (${st.unnest(
          ITEM_RESULT_COLUMNS,
          this.itemResults,
        )}) x WHERE m.run_id = x.run_id AND m.step_id = x.step_id AND m.idx = x.idx`,
      );
    }
    if (this.runs.size > 0) {
      const rows = [...this.runs.values()].map((row) => RUN_UPDATE_COLUMNS.map(([c]) => row[c]));
      st.add(
        `UPDATE runs r SET ${RUN_UPDATE_COLUMNS.slice(1)
          .map(([c]) => `${c} = x.${c}`)
          .join(', ')}, rev = r.rev + 1
         FROM (${st.unnest(RUN_UPDATE_COLUMNS, rows)}) x WHERE r.id = x.id`,
      );
    }
    if (this.newRuns.size > 0) {
      const rows = [...this.newRuns.values()].map((row) => RUN_COLUMNS.map(([c]) => row[c]));
      st.add(st.insert('runs', RUN_COLUMNS, rows));
    }
    if (this.tasks.length > 0) {
      const insert = st.insert(
        'tasks',
        TASK_COLUMNS,
        this.tasks.map((x) => x.row),
      );
      if (this.tasks.some((x) => x.claim !== undefined)) {
        st.returnLeased(`${insert} RETURNING id, run_id, kind, step_id, item, attempt, lease_owner`);
      } else {
        st.add(insert);
      }
    }
    if (this.timers.length > 0) st.add(st.insert('timers', TIMER_COLUMNS, this.timers));
    if (this.waits.length > 0) {
      st.add(
        st.insert(
          'waits',
          WAIT_COLUMNS,
          this.waits,
          ' ON CONFLICT (run_id, step_id) DO UPDATE SET key = excluded.key, since = excluded.since',
        ),
      );
    }
    this.approvalParts(st);
    st.history(this.history);
    st.notifyAll(this.notify);
    return st;
  }

  /** Inbox rows: each (run, step) once, so its delete and its upsert never meet in one statement. */
  private approvalParts(st: Statement): void {
    const upserts: unknown[][] = [];
    const deletes: string[][] = [];
    for (const [key, row] of this.approvals) {
      if (row) upserts.push(row);
      else deletes.push(key.split('\u0000') as [string, string]);
    }
    if (deletes.length > 0) {
      st.add(
        `DELETE FROM approvals WHERE (run_id, step_id) IN (SELECT * FROM unnest(${st.p(deletes.map((d) => d[0]))}::text[], ${st.p(deletes.map((d) => d[1]))}::text[]))`,
      );
    }
    if (upserts.length > 0) {
      st.add(
        st.insert(
          'approvals',
          APPROVAL_PG_COLUMNS,
          upserts,
          ' ON CONFLICT (run_id, step_id) DO UPDATE SET assignee = excluded.assignee, role = excluded.role, escalation_due_at = excluded.escalation_due_at, request = excluded.request',
        ),
      );
    }
  }

  /** The WHERE condition of this table's staged removals, or undefined if there are none. */
  private removalCondition(st: Statement, table: Table): string | undefined {
    const mine = this.removals.filter((r) => r.table === table);
    if (mine.length === 0) return undefined;
    const all = mine.filter((r) => 'all' in r.which).map((r) => r.runId);
    const pairs = mine.flatMap((r) => ('all' in r.which ? [] : r.which.stepIds.map((id) => [r.runId, id])));
    const parts: string[] = [];
    if (all.length > 0) parts.push(`run_id = ANY(${st.p(all)}::text[])`);
    if (pairs.length > 0) {
      parts.push(
        `(run_id, step_id) IN (SELECT * FROM unnest(${st.p(pairs.map((x) => x[0]))}::text[], ${st.p(pairs.map((x) => x[1]))}::text[]))`,
      );
    }
    return `(${parts.join(' OR ')})`;
  }
}
