/**
 * How history events change a {@link RunModel}: the {@link Draft} that applies them, copy-on-write, and
 * the constants the model and the timeline share. Pure: no React, no I/O.
 * @module
 */
import type {
  AttemptBar,
  AttemptKind,
  AttemptStatus,
  RowStatus,
  RunError,
  RunHistoryEvent,
  RunModel,
  StepGroup,
  StepRow,
  WaitSpan,
} from './run-model';

/** The row key of the run's output (the `finalize` task computing it). */
export const FINALIZE_ROW = '$output';

/** Statuses after which an attempt is over. */
export const ENDED_ATTEMPT: ReadonlySet<AttemptStatus> = new Set([
  'succeeded',
  'failed',
  'skipped',
  'lost',
  'released',
  'cancelled',
]);

/** Statuses after which nothing happens to a row any more. */
export const SETTLED_ROW: ReadonlySet<RowStatus> = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

/** Run statuses after which nothing happens. */
export const TERMINAL_RUN: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);

/** The key of an item's row. */
export function itemKey(stepId: string, item: number): string {
  return `${stepId}#${item}`;
}

/**
 * Applies events to a model. With `owned`, the model's containers belong to the draft and are changed
 * in place (building); without, each row, group and array is copied the first time an event touches it,
 * so the previous model keeps its values.
 */
export class Draft {
  private readonly copied = new Set<object>();

  constructor(
    private readonly m: RunModel,
    private readonly owned: boolean,
  ) {}

  private own<T extends object>(value: T, copy: (v: T) => T): T {
    if (this.owned || this.copied.has(value)) return value;
    const c = copy(value);
    this.copied.add(c);
    return c;
  }

  private steps(): StepRow[] {
    const s = this.own(this.m.steps, (a) => a.slice());
    this.m.steps = s;
    return s;
  }

  private groups(): Record<string, StepGroup> {
    const g = this.own(this.m.groups, (o) => ({ ...o }));
    this.m.groups = g;
    return g;
  }

  addRow(stepId: string, kind: string): StepRow {
    const row: StepRow = { key: stepId, stepId, kind, status: 'pending', attempts: [] };
    this.copied.add(row);
    this.m.index.set(stepId, this.steps().push(row) - 1);
    return row;
  }

  /** The row of a step (or the output row), writable; created when the graph did not list it. */
  private row(stepId: string): StepRow {
    const i = this.m.index.get(stepId);
    const current = i === undefined ? undefined : this.m.steps[i];
    if (i === undefined || !current) {
      return stepId === FINALIZE_ROW ? this.addRow(FINALIZE_ROW, 'finalize') : this.addRow(stepId, 'step');
    }
    const row = this.own(current, copyRow);
    if (row !== current) this.steps()[i] = row;
    return row;
  }

  updateRow(stepId: string, change: (row: StepRow) => void): void {
    change(this.row(stepId));
  }

  private group(stepId: string): StepGroup | undefined {
    const current = this.m.groups[stepId];
    if (!current) return undefined;
    const g = this.own(current, (x) => ({ ...x, counts: { ...x.counts } }));
    if (g !== current) this.groups()[stepId] = g;
    return g;
  }

  /** The row of an item, writable, or undefined if the map step has not fanned out that far. */
  private item(group: StepGroup, index: number): StepRow | undefined {
    const current = group.items[index];
    if (!current) return undefined;
    const row = this.own(current, copyRow);
    if (row !== current) {
      const items = this.own(group.items, (a) => a.slice());
      group.items = items;
      items[index] = row;
    }
    return row;
  }

  private setItemStatus(group: StepGroup, row: StepRow, status: RowStatus): void {
    if (row.status === status) return;
    group.counts[row.status] = (group.counts[row.status] ?? 1) - 1;
    group.counts[status] = (group.counts[status] ?? 0) + 1;
    row.status = status;
  }

  /** The writable row an event is about (an item's when it names one), with its group. */
  private target(e: RunHistoryEvent): { row: StepRow; group?: StepGroup } | undefined {
    const stepId = e.stepId ?? FINALIZE_ROW;
    if (e.item !== undefined && e.stepId !== undefined) {
      const group = this.group(e.stepId);
      const row = group && this.item(group, e.item);
      return row && group ? { row, group } : undefined;
    }
    return { row: this.row(stepId) };
  }

  apply(e: RunHistoryEvent): void {
    if (e.seq <= this.m.lastSeq) return;
    this.m.lastSeq = e.seq;
    if (e.at > this.m.span.end) this.m.span.end = e.at;
    if (e.at < this.m.span.start) this.m.span.start = e.at;
    const data = (e.data ?? {}) as Record<string, unknown>;
    switch (e.type) {
      case 'run-created':
      case 'run-started':
        if (e.type === 'run-started' && !TERMINAL_RUN.has(this.m.status)) this.m.status = 'running';
        return;
      case 'run-succeeded':
      case 'run-failed':
      case 'run-cancelled':
        this.m.status = e.type.slice(4);
        this.finishOutput(e);
        if (e.type !== 'run-succeeded') this.cancelOpen(e.at);
        return;
      case 'step-scheduled': {
        const row = this.row(e.stepId ?? FINALIZE_ROW);
        row.status = 'scheduled';
        row.scheduledAt ??= e.at;
        row.attempts.push({ attempt: 1, kind: 'step', status: 'scheduled', scheduledAt: e.at });
        return;
      }
      case 'attempt-started':
        this.attemptStarted(e, data);
        return;
      case 'attempt-succeeded':
        this.closeAttempt(e, 'succeeded');
        return;
      case 'attempt-failed':
        this.closeAttempt(e, 'failed', errorOf(data));
        return;
      case 'retry-scheduled':
        this.retryScheduled(e, data);
        return;
      case 'lease-taken-over':
        this.closeAttempt(e, 'lost', {
          code: 'LEASE_EXPIRED',
          message: `the lease of worker ${String(data.previousWorker ?? '?')} expired; the attempt runs again`,
        });
        this.requeue(e, e.at);
        return;
      case 'task-released':
        this.closeAttempt(e, 'released', {
          code: 'TASK_RELEASED',
          message: `worker ${String(data.workerId ?? '?')} released the task: ${String(data.reason ?? '')}`,
        });
        this.requeue(e, e.at + (typeof data.retryInMs === 'number' ? data.retryInMs : 0));
        return;
      case 'step-succeeded':
        this.settle(e, 'succeeded');
        return;
      case 'step-failed':
        this.settle(e, 'failed', errorOf(data));
        return;
      case 'step-skipped': {
        this.settle(e, 'skipped');
        const row = this.row(e.stepId ?? FINALIZE_ROW);
        if (typeof data.reason === 'string') row.skipReason = data.reason;
        return;
      }
      case 'step-reused': {
        const row = this.row(e.stepId ?? FINALIZE_ROW);
        row.status = data.skipped ? 'skipped' : 'succeeded';
        row.finishedAt = e.at;
        row.scheduledAt ??= e.at;
        if (typeof data.fromRun === 'string') row.reusedFrom = data.fromRun;
        return;
      }
      case 'step-waiting':
        this.startWait(e, {
          for: String(data.for ?? 'event'),
          from: e.at,
          ...(typeof data.key === 'string' ? { key: data.key } : {}),
          ...(typeof data.until === 'number' ? { until: data.until } : {}),
        });
        return;
      case 'child-started': {
        this.startWait(e, { for: 'child', from: e.at });
        if (typeof data.childRunId === 'string')
          this.row(e.stepId ?? FINALIZE_ROW).childRunId = data.childRunId;
        return;
      }
      case 'timer-fired':
      case 'event-received':
      case 'approval-decided':
      case 'child-finished':
        if (e.stepId !== undefined) this.endWait(this.row(e.stepId), e.at);
        return;
      case 'map-expanded':
        this.mapExpanded(e, Number(data.items ?? 0));
        return;
      case 'item-succeeded':
      case 'item-failed':
        this.itemFinished(e, e.type === 'item-succeeded' ? 'succeeded' : 'failed', errorOf(data));
        return;
      case 'compensation-started': {
        const row = this.row(e.stepId ?? FINALIZE_ROW);
        row.compensation = 'running';
        row.attempts.push({ attempt: 1, kind: 'compensate', status: 'scheduled', scheduledAt: e.at });
        return;
      }
      case 'compensation-succeeded':
      case 'compensation-failed': {
        const ok = e.type === 'compensation-succeeded';
        const row = this.row(e.stepId ?? FINALIZE_ROW);
        row.compensation = ok ? 'done' : 'failed';
        const bar = lastOpen(row, 'compensate');
        if (bar) endBar(bar, ok ? 'succeeded' : 'failed', e.at, ok ? undefined : errorOf(data));
        return;
      }
      default:
        return;
    }
  }

  private kindOf(e: RunHistoryEvent, data: Record<string, unknown>): AttemptKind {
    if (data.kind === 'compensate' || data.compensation === true) return 'compensate';
    if (data.kind === 'finalize' || e.stepId === undefined) return 'finalize';
    return e.item !== undefined ? 'item' : 'step';
  }

  private attemptStarted(e: RunHistoryEvent, data: Record<string, unknown>): void {
    const t = this.target(e);
    if (!t) return;
    const { row, group } = t;
    const kind = this.kindOf(e, data);
    const attempt = e.attempt ?? 1;
    let bar = lastOpen(row, kind);
    if (!bar || bar.startedAt !== undefined) {
      bar = { attempt, kind, status: 'scheduled', scheduledAt: e.at };
      row.attempts.push(bar);
    }
    bar.attempt = attempt;
    bar.status = 'running';
    bar.startedAt = e.at;
    if (typeof data.workerId === 'string') bar.workerId = data.workerId;
    row.scheduledAt ??= bar.scheduledAt;
    if (kind === 'compensate') return;
    if (group) this.setItemStatus(group, row, 'running');
    else if (!SETTLED_ROW.has(row.status)) row.status = 'running';
  }

  private closeAttempt(e: RunHistoryEvent, status: AttemptStatus, error?: RunError): void {
    const t = this.target(e);
    if (!t) return;
    const kind = this.kindOf(e, (e.data ?? {}) as Record<string, unknown>);
    let bar = lastOpen(t.row, kind) ?? lastOpen(t.row);
    // An attempt that lost its lease too often fails instead of running again: drop the requeued bar.
    if (bar && bar.startedAt === undefined && status === 'failed') {
      t.row.attempts.splice(t.row.attempts.indexOf(bar), 1);
      bar = undefined;
      const last = t.row.attempts.at(-1);
      if (last?.status === 'lost' && last.error) last.error = error ?? last.error;
    }
    if (bar) endBar(bar, status, e.at, error);
  }

  /** The task went back to the queue (the same attempt runs again), claimable from `readyAt`. */
  private requeue(e: RunHistoryEvent, readyAt: number): void {
    const t = this.target(e);
    if (!t) return;
    const data = (e.data ?? {}) as Record<string, unknown>;
    const kind = this.kindOf(e, data);
    // A lease lost too often fails the attempt instead: the engine's `attempt-failed` follows, and no
    // new attempt is queued unless a `retry-scheduled` says so. Queue it now; a failure removes it.
    t.row.attempts.push({
      attempt: e.attempt ?? 1,
      kind,
      status: 'scheduled',
      scheduledAt: e.at,
      ...(readyAt > e.at ? { readyAt } : {}),
    });
  }

  private retryScheduled(e: RunHistoryEvent, data: Record<string, unknown>): void {
    const t = this.target(e);
    if (!t) return;
    const { row, group } = t;
    const kind = this.kindOf(e, data);
    // Items and the output report a failed attempt only through their retry: close it here.
    const open = lastOpen(row, kind);
    if (open) {
      if (open.startedAt === undefined) row.attempts.splice(row.attempts.indexOf(open), 1);
      else endBar(open, 'failed', e.at, { code: String(data.after ?? 'FAILED'), message: 'attempt failed' });
    }
    const delay = typeof data.delayMs === 'number' ? data.delayMs : 0;
    row.attempts.push({
      attempt: e.attempt ?? row.attempts.length + 1,
      kind,
      status: 'scheduled',
      scheduledAt: e.at,
      ...(delay > 0 ? { readyAt: e.at + delay } : {}),
    });
    if (kind === 'compensate') return;
    if (group) this.setItemStatus(group, row, 'scheduled');
    else row.status = 'scheduled';
  }

  private settle(e: RunHistoryEvent, status: 'succeeded' | 'failed' | 'skipped', error?: RunError): void {
    const row = this.row(e.stepId ?? FINALIZE_ROW);
    row.status = status;
    row.finishedAt = e.at;
    row.scheduledAt ??= e.at;
    if (error) row.error = error;
    this.endWait(row, e.at);
    for (const bar of row.attempts) {
      if (bar.kind === 'compensate' || ENDED_ATTEMPT.has(bar.status)) continue;
      if (bar.startedAt === undefined) endBar(bar, 'cancelled', e.at);
      else endBar(bar, status, e.at, error);
    }
    const group = this.m.groups[row.stepId];
    if (group && status !== 'succeeded') this.endItems(group, e.at);
  }

  /** The run's end is the end of the task computing its output, if one ran. */
  private finishOutput(e: RunHistoryEvent): void {
    const i = this.m.index.get(FINALIZE_ROW);
    const peek = i === undefined ? undefined : this.m.steps[i];
    if (!peek || SETTLED_ROW.has(peek.status)) return;
    const row = this.row(FINALIZE_ROW);
    const ok = e.type === 'run-succeeded';
    const bar = lastOpen(row);
    if (bar?.startedAt === undefined && bar) row.attempts.splice(row.attempts.indexOf(bar), 1);
    else if (bar)
      endBar(
        bar,
        ok ? 'succeeded' : e.type === 'run-failed' ? 'failed' : 'cancelled',
        e.at,
        errorOf(asRecord(e.data)),
      );
    row.status = ok ? 'succeeded' : e.type === 'run-failed' ? 'failed' : 'cancelled';
    row.finishedAt = e.at;
  }

  /** A failed or cancelled map step: its items still queued or running will not finish. */
  private endItems(current: StepGroup, at: number): void {
    const group = this.group(current.stepId) as StepGroup;
    for (let i = 0; i < group.items.length; i++) {
      const peek = group.items[i];
      if (!peek || SETTLED_ROW.has(peek.status)) continue;
      const row = this.item(group, i) as StepRow;
      for (const bar of row.attempts) if (!ENDED_ATTEMPT.has(bar.status)) endBar(bar, 'cancelled', at);
      this.setItemStatus(group, row, 'cancelled');
      row.finishedAt = at;
    }
  }

  /** The run ended failed or cancelled: whatever was queued, running or waiting is cancelled. */
  private cancelOpen(at: number): void {
    for (const peek of this.m.steps) {
      const open = peek.attempts.some((b) => !ENDED_ATTEMPT.has(b.status));
      if (!open && (SETTLED_ROW.has(peek.status) || peek.status === 'pending')) continue;
      const row = this.row(peek.key);
      for (const bar of row.attempts) if (!ENDED_ATTEMPT.has(bar.status)) endBar(bar, 'cancelled', at);
      if (!SETTLED_ROW.has(row.status) && row.status !== 'pending') {
        row.status = 'cancelled';
        row.finishedAt = at;
      }
      this.endWait(row, at);
      const group = this.m.groups[row.stepId];
      if (group) this.endItems(group, at);
    }
  }

  private startWait(e: RunHistoryEvent, wait: WaitSpan): void {
    const row = this.row(e.stepId ?? FINALIZE_ROW);
    const bar = lastOpen(row, 'step');
    if (bar) endBar(bar, 'succeeded', e.at);
    row.status = 'waiting';
    row.waits = [...(row.waits ?? []), wait];
  }

  private endWait(row: StepRow, at: number): void {
    const last = row.waits?.at(-1);
    if (!row.waits || !last || last.to !== undefined) return;
    row.waits = [...row.waits.slice(0, -1), { ...last, to: at }];
  }

  private mapExpanded(e: RunHistoryEvent, total: number): void {
    const stepId = e.stepId ?? FINALIZE_ROW;
    const row = this.row(stepId);
    const bar = lastOpen(row, 'step');
    if (bar) endBar(bar, 'succeeded', e.at);
    row.status = total === 0 ? row.status : 'running';
    const concurrency = this.m.graph?.steps.find((s) => s.id === stepId)?.map?.concurrency;
    const first = concurrency === undefined ? total : Math.min(concurrency, total);
    const items: StepRow[] = new Array(total);
    for (let i = 0; i < total; i++) {
      items[i] = {
        key: itemKey(stepId, i),
        stepId,
        kind: 'item',
        status: i < first ? 'scheduled' : 'pending',
        group: stepId,
        item: i,
        attempts: i < first ? [{ attempt: 1, kind: 'item', status: 'scheduled', scheduledAt: e.at }] : [],
        ...(i < first ? { scheduledAt: e.at } : {}),
      };
    }
    const group: StepGroup = {
      stepId,
      total,
      counts: { scheduled: first, pending: total - first },
      items,
      scheduled: first,
      ...(concurrency === undefined ? {} : { concurrency }),
    };
    this.copied.add(group);
    this.copied.add(items);
    this.groups()[stepId] = group;
  }

  private itemFinished(e: RunHistoryEvent, status: 'succeeded' | 'failed', error?: RunError): void {
    const t = this.target(e);
    if (!t?.group) return;
    const { row, group } = t;
    const bar = lastOpen(row, 'item');
    if (bar) endBar(bar, status, e.at, status === 'failed' ? error : undefined);
    this.setItemStatus(group, row, status);
    row.finishedAt = e.at;
    if (error && status === 'failed') row.error = error;
    // The engine queues the next item in the transaction that settles one.
    if (group.scheduled < group.total) {
      const next = this.item(group, group.scheduled);
      group.scheduled++;
      if (next && next.attempts.length === 0) {
        next.attempts.push({ attempt: 1, kind: 'item', status: 'scheduled', scheduledAt: e.at });
        next.scheduledAt = e.at;
        this.setItemStatus(group, next, 'scheduled');
      }
    }
  }
}

function copyRow(row: StepRow): StepRow {
  return { ...row, attempts: row.attempts.map((b) => ({ ...b })) };
}

/** The latest attempt of `kind` (any kind when omitted) that has not ended. */
function lastOpen(row: StepRow, kind?: AttemptKind): AttemptBar | undefined {
  for (let i = row.attempts.length - 1; i >= 0; i--) {
    const bar = row.attempts[i] as AttemptBar;
    if ((kind === undefined || bar.kind === kind) && !ENDED_ATTEMPT.has(bar.status)) return bar;
  }
  return undefined;
}

function endBar(bar: AttemptBar, status: AttemptStatus, at: number, error?: RunError): void {
  bar.status = status;
  bar.finishedAt = at;
  if (error) bar.error = error;
}

function asRecord(data: unknown): Record<string, unknown> {
  return (data ?? {}) as Record<string, unknown>;
}

function errorOf(data: Record<string, unknown>): RunError | undefined {
  if (typeof data.code !== 'string') return undefined;
  return {
    code: data.code,
    message: typeof data.message === 'string' ? data.message : '',
    ...(typeof data.retryable === 'boolean' ? { retryable: data.retryable } : {}),
    ...(data.details === undefined ? {} : { details: data.details }),
  };
}
