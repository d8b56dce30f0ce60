/**
 * Turns a run's history events into the lines `baton run` prints as they happen. Pure: the caller
 * feeds events and the clock; `map` items are aggregated into a throttled progress line.
 * @module
 */
import type { ApprovalRequest, HistoryEvent } from '../core/types.js';
import { clockTime, humanDuration, type Palette } from './format.js';

/** A `map` step's item counts, as seen in history. */
interface MapProgress {
  total: number;
  succeeded: number;
  failed: number;
  retries: number;
  failuresShown: number;
  printedAt: number;
  dirty: boolean;
}

type ErrorData = { code?: string; message?: string };

/** Item failures printed one by one before the progress line takes over. */
const ITEM_FAILURES_SHOWN = 3;
/** Least time between two progress lines of the same `map` step. */
export const PROGRESS_INTERVAL_MS = 500;

/** Renders one run's events. Keep one per run: it remembers attempts, errors and map progress. */
export class EventRenderer {
  /** When the current attempt of each step started, and its number, by `kind:stepId`. */
  private readonly attemptStarted = new Map<string, { at: number; attempt: number }>();
  private readonly lastError = new Map<string, ErrorData>();
  private readonly chosen = new Map<string, string[]>();
  private readonly maps = new Map<string, MapProgress>();

  /**
   * @param runId - the run, for the commands suggested in waiting lines.
   * @param label - printed before every line (the workflow name, when several runs share a stream).
   */
  constructor(
    private readonly runId: string,
    private readonly paint: Palette,
    private readonly label = '',
  ) {}

  /** The lines for one event (often none). */
  render(event: HistoryEvent): string[] {
    const text = this.describe(event);
    return text === undefined ? [] : [this.format(event.at, text)];
  }

  /** Progress lines of `map` steps that moved since they were last printed, at most every 500 ms each. */
  progress(now: number): string[] {
    const lines: string[] = [];
    for (const [stepId, m] of this.maps) {
      if (!m.dirty || now - m.printedAt < PROGRESS_INTERVAL_MS) continue;
      m.dirty = false;
      m.printedAt = now;
      const extra = [m.failed ? `${m.failed} failed` : '', m.retries ? `${m.retries} retried` : '']
        .filter(Boolean)
        .join(', ');
      lines.push(
        this.format(
          now,
          `${this.paint.cyan('▸')} ${stepId} ${m.succeeded + m.failed}/${m.total} items done${extra ? ` (${extra})` : ''}`,
        ),
      );
    }
    return lines;
  }

  private format(at: number, text: string): string {
    return `  ${this.paint.dim(clockTime(at))}  ${this.label ? `${this.paint.magenta(this.label)}  ` : ''}${text}`;
  }

  private errorText(error: unknown): string {
    const e = (error ?? {}) as ErrorData;
    return `${this.paint.red(e.code ?? 'ERROR')} ${e.message ?? ''}`.trimEnd();
  }

  private describe(e: HistoryEvent): string | undefined {
    const p = this.paint;
    const step = e.stepId ?? '';
    const data = (e.data ?? {}) as Record<string, unknown>;
    switch (e.type) {
      case 'run-started':
        return `${p.cyan('▶')} run ${this.runId} started`;
      case 'attempt-started':
        if (e.item === undefined)
          this.attemptStarted.set(`${data.kind ?? 'step'}:${step}`, { at: e.at, attempt: e.attempt ?? 1 });
        return undefined;
      case 'attempt-succeeded':
        if (Array.isArray(data.chosen)) this.chosen.set(step, data.chosen.map(String));
        return undefined;
      case 'attempt-failed':
        this.lastError.set(step, data as ErrorData);
        return undefined;
      case 'retry-scheduled':
        return this.retry(e, data);
      case 'step-succeeded':
        return this.stepSucceeded(e, data);
      case 'step-failed':
        this.maps.delete(step);
        return `${p.red('✗')} ${step} failed ${this.errorText(data)}`;
      case 'step-skipped':
        return p.dim(`○ ${step} skipped${data.reason ? ` (${String(data.reason)})` : ''}`);
      case 'step-reused':
        return p.dim(
          `↺ ${step} ${data.skipped ? 'skipped' : 'output'} reused from run ${String(data.fromRun ?? '?')}`,
        );
      case 'step-waiting':
        return this.waiting(step, data);
      case 'map-expanded':
        this.maps.set(step, {
          total: Number(data.items ?? 0),
          succeeded: 0,
          failed: 0,
          retries: 0,
          failuresShown: 0,
          printedAt: e.at,
          dirty: false,
        });
        return `${p.cyan('▸')} ${step} fanned out into ${String(data.items ?? 0)} items`;
      case 'item-succeeded':
      case 'item-failed':
        return this.item(e, data);
      case 'timer-fired':
        return this.timer(step, data);
      case 'event-received':
        return `${p.cyan('✉')} ${step} received event "${String(data.key ?? '')}"`;
      case 'approval-decided': {
        const mark = data.approved ? p.green('☑') : p.red('☒');
        const comment = data.comment ? ` — "${String(data.comment)}"` : '';
        return `${mark} ${step} ${data.approved ? 'approved' : 'rejected'} by ${String(data.by ?? '?')}${comment}`;
      }
      case 'child-started':
        return `${p.cyan('↳')} ${step} started child run ${String(data.childRunId ?? '')} (${String(data.workflow ?? '')})`;
      case 'child-finished':
        return `${p.cyan('↲')} ${step} child run ${String(data.childRunId ?? '')} ${String(data.status ?? '')}`;
      case 'compensation-started':
        return `${p.yellow('⟲')} compensating ${step}`;
      case 'compensation-succeeded':
        return `${p.yellow('⟲')} ${step} compensated`;
      case 'compensation-failed':
        return `${p.red('✗')} compensation of ${step} failed ${this.errorText(data)}`;
      case 'run-succeeded':
        return `${p.green('■')} run ${p.green('succeeded')}`;
      case 'run-failed':
        return `${p.red('■')} run ${p.red('failed')} ${this.errorText(data)}`;
      case 'run-cancelled':
        return `${p.yellow('■')} run ${p.yellow('cancelled')}${(data as ErrorData).message ? `: ${(data as ErrorData).message}` : ''}`;
      case 'lease-taken-over':
        return `${p.yellow('⚠')} ${step || 'finalize'} lease of worker ${String(data.previousWorker ?? '?')} expired; attempt ${e.attempt ?? '?'} is taken over`;
      default:
        return undefined;
    }
  }

  private stepSucceeded(e: HistoryEvent, data: Record<string, unknown>): string {
    const step = e.stepId ?? '';
    const started = this.attemptStarted.get(`step:${step}`);
    const took = started === undefined ? '' : humanDuration(e.at - started.at);
    const map = this.maps.get(step);
    this.maps.delete(step);
    let detail: string;
    if (map || typeof data.succeeded === 'number') {
      const failed = Number(data.failed ?? map?.failed ?? 0);
      detail = `${Number(data.succeeded ?? map?.succeeded ?? 0) + failed} items${failed ? `, ${failed} failed` : ''}${took ? `, ${took}` : ''}`;
    } else {
      detail = [started ? `attempt ${started.attempt}` : '', took].filter(Boolean).join(', ');
    }
    const chosen = this.chosen.get(step);
    const branch = chosen ? ` → ${chosen.join(', ')}` : '';
    return `${this.paint.green('✓')} ${step}${branch}${detail ? `  ${this.paint.dim(`(${detail})`)}` : ''}`;
  }

  private retry(e: HistoryEvent, data: Record<string, unknown>): string | undefined {
    const step = e.stepId ?? '';
    if (e.item !== undefined) {
      const m = this.maps.get(step);
      if (m) {
        m.retries++;
        m.dirty = true;
      }
      return undefined;
    }
    const delay = typeof data.delayMs === 'number' ? ` in ${humanDuration(data.delayMs)}` : '';
    const what = data.compensation ? `compensation of ${step || 'finalize'}` : step || 'finalize';
    const error = this.lastError.get(step);
    const cause = error
      ? ` after ${this.errorText(error)}`
      : data.after
        ? ` after ${this.paint.red(String(data.after))}`
        : '';
    return `${this.paint.yellow('↻')} retry ${what}: attempt ${e.attempt ?? '?'}${delay}${cause}`;
  }

  private item(e: HistoryEvent, data: Record<string, unknown>): string | undefined {
    const m = this.maps.get(e.stepId ?? '');
    if (!m) return undefined;
    m.dirty = true;
    if (e.type === 'item-succeeded') {
      m.succeeded++;
      return undefined;
    }
    m.failed++;
    if (m.failuresShown >= ITEM_FAILURES_SHOWN) return undefined;
    m.failuresShown++;
    const more =
      m.failuresShown === ITEM_FAILURES_SHOWN
        ? this.paint.dim(' (further item failures are counted below)')
        : '';
    return `${this.paint.red('✗')} ${e.stepId} item ${e.item ?? '?'} failed ${this.errorText(data)}${more}`;
  }

  private waiting(step: string, data: Record<string, unknown>): string {
    const p = this.paint;
    const mark = p.yellow('⏸');
    if (data.for === 'approval') {
      const request = (data.request ?? {}) as Partial<ApprovalRequest>;
      const who = request.assignee ?? request.role;
      return (
        `${mark} ${step} waiting for approval${who ? ` by ${who}` : ''}: "${request.prompt ?? ''}" — decide with: ` +
        p.bold(`baton approve ${this.runId} ${step} --approve`)
      );
    }
    if (data.for === 'event') {
      const until = typeof data.until === 'number' ? ` (until ${clockTime(data.until)})` : '';
      return `${mark} ${step} waiting for event "${String(data.key ?? '')}"${until} — send it with: ${p.bold(`baton events send ${String(data.key ?? '')} '{}'`)}`;
    }
    if (data.for === 'sleep' && typeof data.until === 'number') {
      return `${mark} ${step} sleeping until ${clockTime(data.until)}`;
    }
    return `${mark} ${step} waiting`;
  }

  private timer(step: string, data: Record<string, unknown>): string | undefined {
    const p = this.paint;
    switch (data.timer) {
      case 'sleep':
        return `${p.cyan('⏰')} ${step} woke up`;
      case 'approval-timeout':
        return `${p.yellow('⏰')} ${step} approval timed out; taking its default action`;
      case 'run-deadline':
        return `${p.red('⏰')} run passed its deadline`;
      default:
        return undefined;
    }
  }
}

/** History events after which nothing more happens to a run. */
export const TERMINAL_EVENTS: ReadonlySet<string> = new Set(['run-succeeded', 'run-failed', 'run-cancelled']);
