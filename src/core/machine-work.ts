/**
 * The working state of one reduction of the run state machine: the snapshot, what changed so far,
 * and the operations every command handler shares (settle a step, advance the graph, end the run,
 * unwind compensations).
 * @module
 */
import type { MachineContext, RunCommand, RunSnapshot, StepRecord, Transition } from './commands.js';
import { emptyTransition } from './commands.js';
import type { ErrorInfo } from './errors.js';
import type { IndexedGraph } from './graph.js';
import type { NewHistoryEvent, RunStatus, StepNode } from './types.js';
import { TERMINAL_RUN_STATUSES } from './types.js';

/** Working state of one reduction: the snapshot plus what changed so far. */
export class Work {
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

  succeed(stepId: string, value: unknown, extra: Partial<StepRecord> = {}, data?: unknown): boolean {
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
    this.event({
      type: 'step-succeeded',
      stepId,
      ...(prev?.attempt ? { attempt: prev.attempt } : {}),
      ...(data === undefined ? {} : { data }),
    });
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
    for (const id of this.g.sinks) {
      const rec = this.step(id);
      output[id] = rec?.outputJson === undefined ? null : JSON.parse(rec.outputJson);
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
    // A step with no attempt was reused from another run (a fork): its effect, and so its
    // compensation, belong to that run.
    const toCompensate = this.g.graph.steps
      .filter(
        (n) =>
          n.compensable &&
          ((this.step(n.id)?.status === 'succeeded' && (this.step(n.id)?.attempt ?? 0) > 0) ||
            interrupted.has(n.id)) &&
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

const encoder = new TextEncoder();

function utf8Length(text: string): number {
  return encoder.encode(text).length;
}
