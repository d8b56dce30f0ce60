/**
 * The run state machine: given a run's snapshot and a command, compute the transition to commit.
 * Pure: no I/O, time and randomness injected. Adapters call {@link reduceRun} inside the transaction
 * that writes its result, so a step's outcome and the scheduling of its successors commit together.
 * @module
 */
import type { MachineContext, RunCommand, RunSeed, RunSnapshot, StepRecord, Transition } from './commands.js';
import type { ErrorInfo } from './errors.js';
import { indexGraph } from './graph.js';
import { onReassign } from './machine-approvals.js';
import { Work } from './machine-work.js';
import { COMPENSATION_RETRY, DEFAULT_RETRY, retryDelayMs } from './retry.js';
import type { ApprovalDecision, Graph, StepNode, StepOutcome, SuspendRequest } from './types.js';
import { TERMINAL_RUN_STATUSES } from './types.js';

/** Compute what `command` changes in the run described by `snapshot`. */
export function reduceRun(
  graph: Graph,
  snapshot: RunSnapshot,
  command: RunCommand,
  ctx: MachineContext,
): Transition {
  const w = new Work(indexGraph(graph), snapshot, ctx);
  // A reassignment of a finished run's step is refused by its handler: the step is not waiting.
  if (TERMINAL_RUN_STATUSES.has(snapshot.run.status) && command.type !== 'reassign') {
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
      onStart(w, command.seed);
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
    case 'reassign':
      onReassign(w, command.stepId, command.change);
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

function onStart(w: Work, seed: RunSeed | undefined): void {
  w.patchRun({ status: 'running', phase: 'steps', startedAt: w.ctx.now });
  w.event({ type: 'run-started' });
  if (w.run.deadlineAt !== undefined)
    w.t.timers.push({ stepId: null, kind: 'run-deadline', fireAt: w.run.deadlineAt });
  const reused: string[] = [];
  const skipped = new Set(seed?.skipped ?? []);
  for (const node of w.g.graph.steps) {
    if (!seed) break;
    if (Object.hasOwn(seed.outputs, node.id)) {
      const out = w.serialize(seed.outputs[node.id]);
      if ('error' in out) {
        w.failStep(node.id, out.error);
        return;
      }
      // Attempt 0: the step never ran in this run (which also keeps its compensation out of it).
      w.put({
        stepId: node.id,
        status: 'succeeded',
        attempt: 0,
        outputJson: out.json,
        finishedAt: w.ctx.now,
        seq: w.nextSeq(),
      });
      w.event({ type: 'step-reused', stepId: node.id, data: { fromRun: seed.fromRun } });
    } else if (skipped.has(node.id)) {
      w.put({ stepId: node.id, status: 'skipped', attempt: 0, finishedAt: w.ctx.now });
      w.event({ type: 'step-reused', stepId: node.id, data: { fromRun: seed.fromRun, skipped: true } });
    } else {
      continue;
    }
    reused.push(node.id);
  }
  for (const id of w.g.roots) if (!w.step(id)) w.schedule(id, 1, 0);
  // Schedules what the reused steps make ready, then completes the run if nothing is left.
  w.advance(reused);
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
      w.succeed(task.stepId, outcome.output, {}, outcome.provenance);
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
