/**
 * The run state machine: given a run's snapshot and a command, compute the transition to commit.
 * Pure: no I/O, time and randomness injected. Adapters call {@link reduceRun} inside the transaction
 * that writes its result, so a step's outcome and the scheduling of its successors commit together.
 * @module
 */
import type { MachineContext, RunCommand, RunSnapshot, StepRecord, Transition } from './commands.js';
import { emptyTransition } from './commands.js';
import type { ErrorInfo } from './errors.js';
import { type IndexedGraph, indexGraph } from './graph.js';
import { COMPENSATION_RETRY, DEFAULT_RETRY, retryDelayMs } from './retry.js';
import type {
  ApprovalDecision,
  Graph,
  NewHistoryEvent,
  RunStatus,
  StepNode,
  StepOutcome,
  SuspendRequest,
} from './types.js';
import { TERMINAL_RUN_STATUSES } from './types.js';

/** Compute what `command` changes in the run described by `snapshot`. */
export function reduceRun(
  graph: Graph,
  snapshot: RunSnapshot,
  command: RunCommand,
  ctx: MachineContext,
): Transition {
  const w = new Work(indexGraph(graph), snapshot, ctx);
  if (TERMINAL_RUN_STATUSES.has(snapshot.run.status)) {
    if (command.type === 'decision' || command.type === 'event' || command.type === 'cancel') {
      return w.reject(
        'RUN_ALREADY_FINISHED',
        `run ${snapshot.run.id} already ${snapshot.run.status}`,
        command,
      );
    }
    return w.t; // late timers, stale tasks: nothing to do
  }
  switch (command.type) {
    case 'start':
      onStart(w);
      break;
    case 'task-finished':
      onTaskFinished(w, command.task, command.outcome);
      break;
    case 'timer-fired':
      onTimer(w, command.stepId, command.timer);
      break;
    case 'event':
      onEvent(w, command.stepId, command.key, command.payload);
      break;
    case 'decision':
      onDecision(w, command.stepId, command.decision);
      break;
    case 'cancel':
      w.endRun({ code: 'RUN_CANCELLED', message: command.reason, details: { by: command.by } }, 'cancelled');
      break;
    case 'child-finished':
      onChildFinished(w, command);
      break;
  }
  return w.finish();
}

/** Working state of one reduction: the snapshot plus what changed so far. */
class Work {
  readonly t: Transition = emptyTransition();
  private readonly changed = new Map<string, StepRecord>();
  private runStatus: RunStatus;
  private ended = false;

  constructor(
    readonly g: IndexedGraph,
    readonly snap: RunSnapshot,
    readonly ctx: MachineContext,
  ) {
    this.runStatus = snap.run.status;
  }

  get run() {
    return this.snap.run;
  }

  step(id: string): StepRecord | undefined {
    return this.changed.get(id) ?? this.snap.steps.get(id);
  }

  node(id: string): StepNode | undefined {
    return this.g.byId.get(id);
  }

  put(record: StepRecord): void {
    this.changed.set(record.stepId, record);
  }

  event(e: NewHistoryEvent): void {
    this.t.events.push(e);
  }

  patchRun(patch: NonNullable<Transition['run']>): void {
    this.t.run = { ...this.t.run, ...patch };
    if (patch.status) this.runStatus = patch.status;
  }

  isEnded(): boolean {
    return this.ended || TERMINAL_RUN_STATUSES.has(this.runStatus) || this.currentPhase() !== 'steps';
  }

  currentPhase() {
    return this.t.run?.phase ?? this.run.phase;
  }

  reject(code: string, message: string, command: RunCommand): Transition {
    return {
      ...emptyTransition(),
      rejected: { code, message, details: { runId: this.run.id, command: command.type } },
    };
  }

  nextSeq(): number {
    let max = 0;
    for (const s of this.snap.steps.values()) if ((s.seq ?? 0) > max) max = s.seq ?? 0;
    for (const s of this.changed.values()) if ((s.seq ?? 0) > max) max = s.seq ?? 0;
    return max + 1;
  }

  /** Serialize an output, enforcing the payload limit. */
  serialize(value: unknown): { json: string } | { error: ErrorInfo } {
    let json: string;
    try {
      json = JSON.stringify(value === undefined ? null : value);
    } catch (error) {
      return {
        error: {
          code: 'INVALID_OUTPUT',
          message: `output is not JSON-serializable (${(error as Error).message}); return plain data`,
          retryable: false,
        },
      };
    }
    // Length first: a string's UTF-8 size is at least its length, so only near the limit is it measured.
    if (json.length > this.ctx.maxPayloadBytes / 3 && utf8Length(json) > this.ctx.maxPayloadBytes) {
      return {
        error: {
          code: 'PAYLOAD_TOO_LARGE',
          message: `output of ${utf8Length(json)} bytes exceeds the ${this.ctx.maxPayloadBytes}-byte limit; store large data elsewhere and pass a reference`,
          retryable: false,
        },
      };
    }
    return { json };
  }

  schedule(stepId: string, attempt: number, delayMs: number): void {
    const prev = this.step(stepId);
    this.put({ ...prev, stepId, status: 'scheduled', attempt: prev?.attempt ?? 0 });
    this.t.tasks.push({ kind: 'step', stepId, item: -1, attempt, delayMs });
    if (attempt === 1) this.event({ type: 'step-scheduled', stepId });
  }

  succeed(stepId: string, value: unknown, extra: Partial<StepRecord> = {}): boolean {
    const out = this.serialize(value);
    if ('error' in out) {
      this.failStep(stepId, out.error);
      return false;
    }
    const prev = this.step(stepId);
    this.put({
      ...prev,
      ...extra,
      stepId,
      status: 'succeeded',
      attempt: prev?.attempt ?? 0,
      outputJson: out.json,
      finishedAt: this.ctx.now,
      seq: this.nextSeq(),
      wait: undefined,
    });
    this.event({ type: 'step-succeeded', stepId, ...(prev?.attempt ? { attempt: prev.attempt } : {}) });
    this.advance([stepId]);
    return true;
  }

  skip(stepId: string, reason: string): void {
    const prev = this.step(stepId);
    this.put({ ...prev, stepId, status: 'skipped', attempt: prev?.attempt ?? 0, finishedAt: this.ctx.now });
    this.event({ type: 'step-skipped', stepId, data: { reason } });
  }

  /** The step failed for good: fail the run. */
  failStep(stepId: string, error: ErrorInfo): void {
    const prev = this.step(stepId);
    this.put({
      ...prev,
      stepId,
      status: 'failed',
      attempt: prev?.attempt ?? 0,
      error,
      finishedAt: this.ctx.now,
      wait: undefined,
    });
    this.event({ type: 'step-failed', stepId, data: error });
    this.endRun(
      {
        code: error.code,
        message: `step "${stepId}" failed: ${error.message}`,
        details: { stepId, cause: error },
      },
      'failed',
    );
  }

  /** Schedule whatever became ready after `settled` steps settled; then see if the run is done. */
  advance(settled: string[]): void {
    if (this.isEnded()) return;
    const queue = [...settled];
    while (queue.length > 0) {
      const id = queue.shift() as string;
      for (const depId of this.g.dependents.get(id) ?? []) {
        if (this.step(depId)) continue; // already scheduled, skipped or done
        const node = this.node(depId) as StepNode;
        const needs = node.needs.map((n) => this.step(n)?.status);
        if (!needs.every((s) => s === 'succeeded' || s === 'skipped')) continue;
        if (needs.every((s) => s === 'skipped')) {
          this.skip(depId, 'every step it needs was skipped');
          queue.push(depId);
        } else {
          this.schedule(depId, 1, 0);
        }
      }
    }
    this.maybeComplete();
  }

  maybeComplete(): void {
    if (this.isEnded()) return;
    for (const node of this.g.graph.steps) {
      const s = this.step(node.id)?.status;
      if (s !== 'succeeded' && s !== 'skipped') return;
    }
    // A map's output is assembled by the store from its items after this transition, so a run ending
    // on a map computes its output in a finalize task, where that output is readable.
    if (this.g.graph.hasOutput || this.t.aggregateMap) {
      this.patchRun({ phase: 'finalizing', status: 'running' });
      this.t.tasks.push({ kind: 'finalize', stepId: '', item: -1, attempt: 1, delayMs: 0 });
      return;
    }
    // Default output: the outputs of the sink steps (those no step needs), by step id.
    const output: Record<string, unknown> = {};
    for (const node of this.g.graph.steps) {
      if ((this.g.dependents.get(node.id) ?? []).length > 0) continue;
      const rec = this.step(node.id);
      output[node.id] = rec?.outputJson === undefined ? null : JSON.parse(rec.outputJson);
    }
    this.completeRun(output);
  }

  completeRun(output: unknown): void {
    const out = this.serialize(output);
    if ('error' in out) {
      this.endRun({ ...out.error, code: 'INVALID_OUTPUT' }, 'failed');
      return;
    }
    this.ended = true;
    this.patchRun({ status: 'succeeded', phase: 'done', outputJson: out.json, finishedAt: this.ctx.now });
    this.event({ type: 'run-succeeded' });
    this.t.removeTimers = { all: true };
    this.notifyParent('succeeded', output);
  }

  /**
   * End the run as failed or cancelled. Stops every task, timer and wait, cancels child runs, then
   * unwinds the compensations of succeeded effect steps in reverse order before the final status.
   */
  endRun(error: ErrorInfo, status: 'failed' | 'cancelled'): void {
    if (this.ended || TERMINAL_RUN_STATUSES.has(this.runStatus)) return;
    const phase = this.currentPhase();
    // Already unwinding: compensations finish first, whatever else happens (cancel, deadline).
    if (phase === 'compensating') return;
    this.ended = true;
    this.t.removeTasks = { all: true };
    this.t.removeTimers = { all: true };
    this.t.removeWaits = { all: true };
    // A compensable step cut off while running may have done its effect: compensate it too (newest first).
    const interrupted = new Set<string>();
    for (const node of this.g.graph.steps) {
      const rec = this.step(node.id);
      if (!rec) continue;
      if (rec.status === 'running' && node.compensable) interrupted.add(node.id);
      if (rec.status === 'running' || rec.status === 'scheduled' || rec.status === 'waiting') {
        if (rec.wait?.type === 'child' && rec.wait.childRunId) {
          this.t.followUps.push({
            runId: rec.wait.childRunId,
            command: { type: 'cancel', reason: `parent run ${this.run.id} ended: ${error.message}` },
          });
        }
        this.put({ ...rec, status: 'cancelled', finishedAt: this.ctx.now, wait: undefined });
      }
    }
    const toCompensate = this.g.graph.steps
      .filter(
        (n) =>
          n.compensable &&
          (this.step(n.id)?.status === 'succeeded' || interrupted.has(n.id)) &&
          this.step(n.id)?.compensation === undefined,
      )
      .map((n) => this.step(n.id) as StepRecord);
    if (toCompensate.length > 0) {
      const last = this.nextSeq();
      for (const rec of toCompensate) {
        // Interrupted steps have no completion order: they are the newest.
        const seq = rec.seq ?? last;
        this.put({ ...rec, seq, compensation: 'pending', compensationAttempt: 0 });
      }
      this.patchRun({ phase: 'compensating', status: 'running', error });
      this.nextCompensation();
      return;
    }
    this.finishFailed(error, status);
  }

  finishFailed(error: ErrorInfo, status: 'failed' | 'cancelled'): void {
    this.patchRun({ status, phase: 'done', error, finishedAt: this.ctx.now });
    this.t.removeTasks = { all: true };
    this.t.removeTimers = { all: true };
    this.t.removeWaits = { all: true };
    this.event({ type: status === 'cancelled' ? 'run-cancelled' : 'run-failed', data: error });
    this.notifyParent(status, undefined, error);
  }

  /** Start the compensation of the most recently completed step still pending; finish the run if none. */
  nextCompensation(): void {
    let next: StepRecord | undefined;
    for (const node of this.g.graph.steps) {
      const rec = this.step(node.id);
      if (rec?.compensation === 'pending' && (!next || (rec.seq ?? 0) > (next.seq ?? 0))) next = rec;
    }
    const error = (this.t.run?.error ?? this.run.error) as ErrorInfo;
    if (!next) {
      this.finishFailed(error, error.code === 'RUN_CANCELLED' ? 'cancelled' : 'failed');
      return;
    }
    this.put({ ...next, compensation: 'running', compensationAttempt: 1 });
    this.t.tasks.push({ kind: 'compensate', stepId: next.stepId, item: -1, attempt: 1, delayMs: 0 });
    this.event({ type: 'compensation-started', stepId: next.stepId });
  }

  notifyParent(status: RunStatus, output?: unknown, error?: ErrorInfo): void {
    const { parentRunId, parentStepId, id } = this.run;
    if (!parentRunId || !parentStepId) return;
    this.t.followUps.push({
      runId: parentRunId,
      command: {
        type: 'child-finished',
        stepId: parentStepId,
        childRunId: id,
        status,
        ...(output === undefined ? {} : { output }),
        ...(error === undefined ? {} : { error }),
      },
    });
  }

  finish(): Transition {
    this.t.steps = [...this.changed.values()];
    if (!TERMINAL_RUN_STATUSES.has(this.runStatus) && this.currentPhase() === 'steps') {
      let active = false;
      let waiting = false;
      for (const node of this.g.graph.steps) {
        const s = this.step(node.id)?.status;
        if (s === 'scheduled' || s === 'running') active = true;
        else if (s === 'waiting') waiting = true;
      }
      const status: RunStatus = active || !waiting ? 'running' : 'waiting';
      if (status !== this.runStatus) this.patchRun({ status });
    }
    return this.t;
  }
}

function onStart(w: Work): void {
  w.patchRun({ status: 'running', phase: 'steps', startedAt: w.ctx.now });
  w.event({ type: 'run-started' });
  if (w.run.deadlineAt !== undefined)
    w.t.timers.push({ stepId: null, kind: 'run-deadline', fireAt: w.run.deadlineAt });
  for (const id of w.g.roots) w.schedule(id, 1, 0);
  w.maybeComplete();
}

function onTaskFinished(
  w: Work,
  task: { kind: string; stepId: string; item: number; attempt: number },
  outcome: StepOutcome,
): void {
  if (task.kind === 'finalize') {
    if (w.currentPhase() !== 'finalizing') return;
    if (outcome.type === 'succeeded') w.completeRun(outcome.output);
    else if (outcome.type === 'failed')
      retryOr(w, { ...task, kind: 'finalize' }, outcome.error, DEFAULT_RETRY, () =>
        w.endRun(outcome.error, 'failed'),
      );
    return;
  }
  const rec = w.step(task.stepId);
  const node = w.node(task.stepId);
  if (!rec || !node) return;
  if (task.kind === 'compensate') {
    onCompensationFinished(w, rec, task.attempt, outcome);
    return;
  }
  if (w.isEnded()) return;
  if (task.kind === 'item') {
    onItemFinished(w, node, rec, task.item, task.attempt, outcome);
    return;
  }
  // A stale completion (a takeover already re-ran this attempt, or the step moved on) changes nothing.
  if ((rec.status !== 'scheduled' && rec.status !== 'running') || rec.attempt !== task.attempt) return;
  const attemptEvent = { stepId: task.stepId, attempt: task.attempt };
  switch (outcome.type) {
    case 'succeeded':
      // `step-succeeded` carries the attempt: a separate attempt event would only repeat it.
      w.succeed(task.stepId, outcome.output);
      return;
    case 'skipped':
      w.skip(task.stepId, outcome.reason);
      w.advance([task.stepId]);
      return;
    case 'branched': {
      w.event({ type: 'attempt-succeeded', ...attemptEvent, data: { chosen: outcome.chosen } });
      const chosen = new Set(outcome.chosen);
      const skipped: string[] = [];
      for (const dep of w.g.dependents.get(task.stepId) ?? []) {
        if (!chosen.has(dep) && !w.step(dep)) {
          w.skip(dep, `branch "${task.stepId}" did not choose it`);
          skipped.push(dep);
        }
      }
      if (w.succeed(task.stepId, outcome.output)) w.advance(skipped);
      return;
    }
    case 'fanned-out':
      onFannedOut(w, node, rec, outcome.items);
      return;
    case 'suspended':
      onSuspended(w, node, rec, outcome.wait);
      return;
    case 'failed':
      w.event({ type: 'attempt-failed', ...attemptEvent, data: outcome.error });
      retryOr(w, task, outcome.error, node.retry, () => w.failStep(task.stepId, outcome.error), node);
      return;
  }
}

/** Schedule another attempt if the error and policy allow it; otherwise run `giveUp`. */
function retryOr(
  w: Work,
  task: { kind: string; stepId: string; item: number; attempt: number },
  error: ErrorInfo & { retryAfterMs?: number },
  policy: StepNode['retry'] | undefined,
  giveUp: () => void,
  node?: StepNode,
): void {
  const unsafeEffect = node?.effect === true && !node.idempotent;
  if (!policy || error.retryable === false || unsafeEffect || task.attempt >= policy.maxAttempts) {
    giveUp();
    return;
  }
  const next = task.attempt + 1;
  const delayMs = retryDelayMs(policy, next, w.ctx.random(), error.retryAfterMs);
  w.t.tasks.push({ kind: task.kind as 'step', stepId: task.stepId, item: task.item, attempt: next, delayMs });
  w.event({
    type: 'retry-scheduled',
    ...(task.stepId ? { stepId: task.stepId } : {}),
    ...(task.item >= 0 ? { item: task.item } : {}),
    attempt: next,
    data: { delayMs, after: error.code },
  });
  if (task.kind === 'step') {
    const rec = w.step(task.stepId) as StepRecord;
    w.put({ ...rec, status: 'scheduled' });
  }
}

function onFannedOut(w: Work, node: StepNode, rec: StepRecord, items: unknown[]): void {
  const limits = node.map ?? { concurrency: 10, onItemFailure: 'fail-fast' as const, maxItems: 10_000 };
  if (items.length > limits.maxItems) {
    w.failStep(node.id, {
      code: 'MAP_TOO_WIDE',
      message: `map step "${node.id}" got ${items.length} items, more than its maxItems of ${limits.maxItems}; raise maxItems or split the list`,
      retryable: false,
    });
    return;
  }
  w.event({ type: 'map-expanded', stepId: node.id, data: { items: items.length } });
  if (items.length === 0) {
    w.succeed(node.id, []);
    return;
  }
  const first = Math.min(limits.concurrency, items.length);
  w.put({
    ...rec,
    status: 'running',
    map: { total: items.length, next: first, running: first, succeeded: 0, failed: 0 },
  });
  w.t.items = { stepId: node.id, values: items };
  for (let i = 0; i < first; i++)
    w.t.tasks.push({ kind: 'item', stepId: node.id, item: i, attempt: 1, delayMs: 0 });
}

function onItemFinished(
  w: Work,
  node: StepNode,
  rec: StepRecord,
  index: number,
  attempt: number,
  outcome: StepOutcome,
): void {
  if (rec.status !== 'running' || !rec.map) return;
  const map = { ...rec.map };
  const collect = node.map?.onItemFailure === 'collect';
  if (outcome.type === 'succeeded') {
    const out = w.serialize(outcome.output);
    if ('error' in out) {
      onItemFinished(w, node, rec, index, attempt, { type: 'failed', error: out.error });
      return;
    }
    w.t.itemResults.push({ stepId: node.id, index, ok: true, outputJson: out.json });
    w.event({ type: 'item-succeeded', stepId: node.id, item: index, attempt });
    map.succeeded++;
  } else if (outcome.type === 'failed') {
    let retried = true;
    retryOr(
      w,
      { kind: 'item', stepId: node.id, item: index, attempt },
      outcome.error,
      node.retry,
      () => {
        retried = false;
      },
      node,
    );
    if (retried) return;
    w.t.itemResults.push({ stepId: node.id, index, ok: false, error: outcome.error });
    w.event({ type: 'item-failed', stepId: node.id, item: index, attempt, data: outcome.error });
    map.failed++;
    if (!collect) {
      w.put({ ...rec, map });
      w.failStep(node.id, {
        code: 'MAP_ITEM_FAILED',
        message: `item ${index} failed: ${outcome.error.message}`,
        retryable: false,
        details: { index, cause: outcome.error },
      });
      return;
    }
  } else {
    return;
  }
  map.running--;
  if (map.next < map.total) {
    w.t.tasks.push({ kind: 'item', stepId: node.id, item: map.next, attempt: 1, delayMs: 0 });
    map.next++;
    map.running++;
  }
  if (map.succeeded + map.failed === map.total) {
    w.put({ ...rec, map, status: 'succeeded', finishedAt: w.ctx.now, seq: w.nextSeq() });
    w.t.aggregateMap = { stepId: node.id, collect };
    w.event({
      type: 'step-succeeded',
      stepId: node.id,
      data: { succeeded: map.succeeded, failed: map.failed },
    });
    w.advance([node.id]);
  } else {
    w.put({ ...rec, map });
  }
}

function onSuspended(w: Work, node: StepNode, rec: StepRecord, req: SuspendRequest): void {
  const now = w.ctx.now;
  switch (req.type) {
    case 'sleep':
      if (req.until <= now) {
        w.succeed(node.id, { sleptUntil: new Date(req.until).toISOString() });
        return;
      }
      w.put({ ...rec, status: 'waiting', wait: { type: 'sleep', until: req.until } });
      w.t.timers.push({ stepId: node.id, kind: 'sleep', fireAt: req.until });
      w.event({ type: 'step-waiting', stepId: node.id, data: { for: 'sleep', until: req.until } });
      return;
    case 'event':
      w.put({
        ...rec,
        status: 'waiting',
        wait: { type: 'event', key: req.key, ...(req.timeoutAt ? { until: req.timeoutAt } : {}) },
      });
      w.t.waits.push({ stepId: node.id, key: req.key, since: req.since });
      if (req.timeoutAt !== undefined)
        w.t.timers.push({ stepId: node.id, kind: 'event-timeout', fireAt: req.timeoutAt });
      w.event({
        type: 'step-waiting',
        stepId: node.id,
        data: { for: 'event', key: req.key, until: req.timeoutAt },
      });
      return;
    case 'approval':
      w.put({
        ...rec,
        status: 'waiting',
        wait: {
          type: 'approval',
          approval: req.request,
          ...(req.request.timeoutAt ? { until: req.request.timeoutAt } : {}),
        },
      });
      if (req.request.timeoutAt !== undefined) {
        w.t.timers.push({ stepId: node.id, kind: 'approval-timeout', fireAt: req.request.timeoutAt });
      }
      w.event({ type: 'step-waiting', stepId: node.id, data: { for: 'approval', request: req.request } });
      return;
    case 'child': {
      if (w.run.depth + 1 > req.maxDepth) {
        w.failStep(node.id, {
          code: 'CHILD_DEPTH_EXCEEDED',
          message: `starting "${req.workflow}" would nest runs ${w.run.depth + 1} deep, beyond the limit of ${req.maxDepth}; check for recursion between workflows`,
          retryable: false,
        });
        return;
      }
      const runId = w.ctx.newId();
      w.t.children.push({
        runId,
        stepId: node.id,
        workflow: req.workflow,
        ...(req.version ? { version: req.version } : {}),
        input: req.input,
      });
      w.put({ ...rec, status: 'waiting', wait: { type: 'child', childRunId: runId } });
      w.event({
        type: 'child-started',
        stepId: node.id,
        data: { childRunId: runId, workflow: req.workflow },
      });
      return;
    }
  }
}

function onTimer(w: Work, stepId: string | null, kind: string): void {
  if (kind === 'run-deadline') {
    w.event({ type: 'timer-fired', data: { timer: kind } });
    w.endRun(
      { code: 'RUN_TIMEOUT', message: `run ${w.run.id} passed its deadline`, retryable: false },
      'failed',
    );
    return;
  }
  if (!stepId || w.isEnded()) return;
  const rec = w.step(stepId);
  if (rec?.status !== 'waiting') return;
  w.event({ type: 'timer-fired', stepId, data: { timer: kind } });
  if (kind === 'sleep' && rec.wait?.type === 'sleep') {
    w.succeed(stepId, { sleptUntil: new Date(rec.wait.until ?? w.ctx.now).toISOString() });
  } else if (kind === 'event-timeout' && rec.wait?.type === 'event') {
    w.t.removeWaits = { stepIds: [stepId] };
    w.failStep(stepId, {
      code: 'WAIT_TIMEOUT',
      message: `no event with key "${rec.wait.key}" arrived before the timeout`,
      retryable: false,
    });
  } else if (kind === 'approval-timeout' && rec.wait?.type === 'approval' && rec.wait.approval) {
    const approved = rec.wait.approval.defaultAction === 'approve';
    applyDecision(w, stepId, rec, {
      approved,
      by: 'system:timeout',
      comment: 'no decision before the deadline',
    });
  }
}

function onEvent(w: Work, stepId: string, key: string, payload: unknown): void {
  const rec = w.step(stepId);
  if (rec?.status !== 'waiting' || rec.wait?.type !== 'event' || rec.wait.key !== key) return;
  w.event({ type: 'event-received', stepId, data: { key } });
  w.t.removeWaits = { stepIds: [stepId] };
  w.t.removeTimers = { stepIds: [stepId] };
  w.succeed(stepId, payload);
}

function onDecision(w: Work, stepId: string, decision: ApprovalDecision): void {
  const rec = w.step(stepId);
  if (!w.node(stepId)) {
    w.t.rejected = {
      code: 'STEP_NOT_FOUND',
      message: `run ${w.run.id} has no step "${stepId}"; see its steps with \`baton runs show ${w.run.id}\``,
    };
    return;
  }
  if (w.isEnded() || rec?.status !== 'waiting' || rec.wait?.type !== 'approval') {
    w.t.rejected = {
      code: 'RUN_NOT_WAITING',
      message: `step "${stepId}" of run ${w.run.id} is not waiting for an approval (it is ${rec?.status ?? 'not started'})`,
      details: { runId: w.run.id, stepId, status: rec?.status ?? 'pending' },
    };
    return;
  }
  applyDecision(w, stepId, rec, decision);
}

function applyDecision(
  w: Work,
  stepId: string,
  rec: StepRecord,
  decision: { approved: boolean; by: string; comment?: string; data?: unknown },
): void {
  const request = rec.wait?.approval;
  w.t.removeTimers = { stepIds: [stepId] };
  const record = {
    approved: decision.approved,
    decision: decision.approved ? 'approved' : 'rejected',
    by: decision.by,
    comment: decision.comment ?? null,
    at: new Date(w.ctx.now).toISOString(),
    data: decision.data !== undefined ? decision.data : (request?.data ?? null),
    edited: decision.data !== undefined,
  };
  w.event({ type: 'approval-decided', stepId, data: record });
  if (decision.approved || request?.onReject === 'continue') {
    w.succeed(stepId, record);
  } else {
    w.failStep(stepId, {
      code: 'APPROVAL_REJECTED',
      message: `rejected by ${decision.by}${decision.comment ? `: ${decision.comment}` : ''}`,
      retryable: false,
    });
  }
}

function onChildFinished(w: Work, cmd: RunCommand & { type: 'child-finished' }): void {
  const rec = w.step(cmd.stepId);
  if (rec?.status !== 'waiting' || rec.wait?.type !== 'child' || rec.wait.childRunId !== cmd.childRunId)
    return;
  w.event({
    type: 'child-finished',
    stepId: cmd.stepId,
    data: { childRunId: cmd.childRunId, status: cmd.status },
  });
  if (cmd.status === 'succeeded') {
    w.succeed(cmd.stepId, cmd.output);
  } else {
    w.failStep(cmd.stepId, {
      code: 'CHILD_RUN_FAILED',
      message: `child run ${cmd.childRunId} ${cmd.status}${cmd.error ? `: ${cmd.error.message}` : ''}`,
      retryable: false,
      details: { childRunId: cmd.childRunId, cause: cmd.error },
    });
  }
}

function onCompensationFinished(w: Work, rec: StepRecord, attempt: number, outcome: StepOutcome): void {
  if (
    w.currentPhase() !== 'compensating' ||
    rec.compensation !== 'running' ||
    rec.compensationAttempt !== attempt
  )
    return;
  if (outcome.type === 'failed') {
    const error = outcome.error;
    if (error.retryable !== false && attempt < COMPENSATION_RETRY.maxAttempts) {
      const delayMs = retryDelayMs(COMPENSATION_RETRY, attempt + 1, w.ctx.random(), error.retryAfterMs);
      w.put({ ...rec, compensationAttempt: attempt + 1 });
      w.t.tasks.push({ kind: 'compensate', stepId: rec.stepId, item: -1, attempt: attempt + 1, delayMs });
      w.event({
        type: 'retry-scheduled',
        stepId: rec.stepId,
        attempt: attempt + 1,
        data: { delayMs, compensation: true },
      });
      return;
    }
    w.put({ ...rec, compensation: 'failed' });
    w.event({ type: 'compensation-failed', stepId: rec.stepId, data: error });
    const runError = (w.t.run?.error ?? w.run.error) as ErrorInfo;
    const failures = [
      ...((runError.details as { compensationFailures?: unknown[] })?.compensationFailures ?? []),
    ];
    failures.push({ stepId: rec.stepId, error });
    w.patchRun({
      error: { ...runError, details: { ...(runError.details as object), compensationFailures: failures } },
    });
  } else {
    w.put({ ...rec, compensation: 'done' });
    w.event({ type: 'compensation-succeeded', stepId: rec.stepId });
  }
  w.nextCompensation();
}

const encoder = new TextEncoder();

function utf8Length(text: string): number {
  return encoder.encode(text).length;
}
