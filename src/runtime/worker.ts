/**
 * The worker: claims tasks under a lease, runs step bodies, heartbeats its leases, fires due timers,
 * and reports outcomes. A completion's successors come back leased to the same worker in the same
 * transaction, so a sequential workflow moves from step to step without another claim.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type {
  CompensationContext,
  ItemContext,
  StepContext,
  StepDefinition,
  WorkflowDefinition,
} from '../core/definition.js';
import { BatonError, NonRetryableError, toErrorInfo } from '../core/errors.js';
import { sinkStepIds } from '../core/graph.js';
import type { ClaimedTask, StepOutcome, StepStatus } from '../core/types.js';
import type { Store } from '../store/port.js';
import type { Logger } from '../telemetry/logs.js';
import { type StepObserver, stepObserver } from '../telemetry/step-observer.js';
import type { Tracing } from '../telemetry/tracing/tracing.js';
import { faultPoint } from './faults.js';
import type { KindEnvironment, StepKind } from './kinds/step-kind.js';
import { raceTimeout } from './race-timeout.js';

/** An executable version: its definition with steps indexed. */
export interface ExecutableVersion {
  definition: WorkflowDefinition;
  steps: ReadonlyMap<string, StepDefinition>;
}

/** Where a worker finds the code of the version a run is pinned to. */
export interface VersionResolver {
  resolve(versionId: string): Promise<ExecutableVersion>;
  /** The version if it is already loaded (no I/O): the hot path skips a promise. */
  loaded?(versionId: string): ExecutableVersion | undefined;
  childDefinition(workflow: string, version?: string): Promise<WorkflowDefinition | undefined>;
}

/** Worker settings. */
export interface WorkerOptions {
  /** @defaultValue a random id with the host name */
  id?: string;
  /** Tasks run at once. @defaultValue 50 */
  concurrency?: number;
  /** Lease length; a dead worker's tasks are taken over after at most this. @defaultValue 5000 */
  leaseMs?: number;
  /** Lease renewal interval. @defaultValue leaseMs / 3 */
  heartbeatMs?: number;
  /**
   * Idle poll interval for work written by other processes. @defaultValue the store's `idlePoll`
   * (on Postgres with LISTEN up: 2 s for tasks, 30 s for timers), else 250
   */
  pollMs?: number;
  /** Retention: prune runs finished longer ago than this (ms), 10 s after start and then hourly; off when undefined. */
  retentionMs?: number;
  /** How long a task this worker cannot run (it lacks the version's code) stays invisible. @defaultValue 5000 */
  releaseDelayMs?: number;
  /** Called on unexpected errors of the loops (store down, say); the worker keeps going. */
  onError?: (error: unknown) => void;
  /** A span per step attempt, parented to its run's span (see `createTracing`). @defaultValue off */
  tracing?: Tracing;
  /** Log lines per step attempt (started, finished, failed) with its ids. @defaultValue off */
  logger?: Logger;
}

interface InFlight {
  task: ClaimedTask;
  abort: AbortController;
}

/** Claims and runs tasks until stopped. */
export class Worker {
  readonly id: string;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly ownPollMs: number | undefined;
  private readonly inflight = new Map<string, InFlight>();
  private timerWake: (() => void) | undefined;
  /** The last claim found fewer ready tasks than it could take. */
  private queueDrained = false;
  /** Slots promised to successors of completions in flight. */
  private reserved = 0;
  private running = false;
  private wake: (() => void) | undefined;
  private woken = false;
  private loops: Promise<void>[] = [];
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  private idle: (() => void) | undefined;
  private readonly env: KindEnvironment;
  private readonly observe: StepObserver | undefined;

  constructor(
    private readonly store: Store,
    private readonly versions: VersionResolver,
    private readonly kinds: ReadonlyMap<string, StepKind>,
    private readonly options: WorkerOptions = {},
  ) {
    this.id = options.id ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.concurrency = options.concurrency ?? 50;
    this.leaseMs = options.leaseMs ?? 5000;
    this.heartbeatMs = options.heartbeatMs ?? Math.max(50, Math.floor(this.leaseMs / 3));
    this.ownPollMs = options.pollMs;
    this.env = { now: () => Date.now(), childDefinition: (w, v) => versions.childDefinition(w, v) };
    this.observe = stepObserver({ ...options, workerId: this.id });
  }

  /** Tasks running now. */
  get active(): number {
    return this.inflight.size;
  }

  /** The lease length this worker asks for. */
  get lease(): number {
    return this.leaseMs;
  }

  /**
   * Reserve up to `max` slots for tasks leased to this worker outside its claim loop (a run submitted
   * in this process starts here at once). Returns how many; give them back with {@link adopt}.
   */
  reserveSlots(max: number): number {
    // With a backlog, new runs queue behind it, so priorities hold; the claim loop takes them in order.
    if (!this.running || !this.queueDrained) return 0;
    const n = Math.max(0, Math.min(max, this.concurrency - this.inflight.size - this.reserved));
    this.reserved += n;
    return n;
  }

  /** Run tasks leased to this worker by a submit, and give back the slots reserved for them. */
  adopt(tasks: ClaimedTask[], reserved: number): void {
    this.reserved -= reserved;
    for (const task of tasks) {
      if (this.running) {
        this.launch(task);
      } else {
        void this.store
          .releaseTask({ taskId: task.id, workerId: this.id, delayMs: 0, reason: 'worker stopping' })
          .catch((e) => this.options.onError?.(e));
      }
    }
  }

  /** Start claiming, heartbeating and firing timers. */
  start(): this {
    if (this.running) return this;
    this.running = true;
    this.unsubscribe = this.store.onWork((timers) => {
      this.poke();
      if (timers) this.timerWake?.();
    });
    this.loops.push(this.claimLoop(), this.timerLoop());
    this.timers.push(setInterval(() => void this.heartbeat(), this.heartbeatMs));
    if (this.options.retentionMs !== undefined) {
      const retention = this.options.retentionMs;
      const prune = () =>
        void this.store.prune(Date.now() - retention).catch((e) => this.options.onError?.(e));
      // First pass soon after start (not at once: startup should not wait on a large prune), then hourly.
      this.timers.push(setTimeout(prune, 10_000).unref(), setInterval(prune, 60 * 60 * 1000).unref());
    }
    return this;
  }

  /**
   * Stop claiming, let running tasks finish for up to `graceMs`, then release the leases of what is
   * left so other workers take it at once instead of after the lease expires.
   */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.poke();
    this.timerWake?.();
    await Promise.all(this.loops);
    if (this.inflight.size > 0) {
      await Promise.race([
        new Promise<void>((resolve) => {
          this.idle = resolve;
        }),
        new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
      ]);
    }
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    for (const f of this.inflight.values())
      f.abort.abort(new BatonError('WORKER_LOST_LEASE', 'the worker is stopping'));
    await this.store.releaseLeases(this.id).catch(() => undefined);
  }

  /** The worker's own setting, else the store's (slow while it wakes workers itself), else 250 ms. */
  private get pollMs(): number {
    return this.ownPollMs ?? this.store.idlePoll?.claimsMs ?? 250;
  }

  private get timerPollMs(): number {
    return this.ownPollMs ?? this.store.idlePoll?.timersMs ?? 250;
  }

  private poke(): void {
    this.woken = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async claimLoop(): Promise<void> {
    while (this.running) {
      // Cleared before claiming, so a wake-up that arrives while the claim is in flight is not lost.
      this.woken = false;
      const free = this.concurrency - this.inflight.size - this.reserved;
      let claimed = 0;
      if (free > 0) {
        try {
          const tasks = await this.store.claimTasks({
            workerId: this.id,
            limit: Math.min(free, 100),
            leaseMs: this.leaseMs,
          });
          claimed = tasks.length;
          this.queueDrained = claimed < Math.min(free, 100);
          for (const task of tasks) this.launch(task);
        } catch (error) {
          this.options.onError?.(error);
        }
      }
      if (claimed === 0 || claimed === free) await this.sleep(this.pollMs);
    }
  }

  private async timerLoop(): Promise<void> {
    while (this.running) {
      let delay = this.timerPollMs;
      try {
        const fired = await this.store.fireDueTimers(500);
        if (fired === 500) continue;
        const next = await this.store.nextTimerAt();
        // A timer due but not fired (its run busy in another transaction) is retried shortly, not in a spin.
        if (next !== undefined) delay = Math.max(fired === 0 ? 20 : 1, Math.min(delay, next - Date.now()));
      } catch (error) {
        this.options.onError?.(error);
      }
      // A timer written meanwhile (a short sleep) wakes the loop early, so it fires on time.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.timerWake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.timerWake = undefined;
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.inflight.size === 0) return;
    try {
      const { lost } = await this.store.renewLeases({
        workerId: this.id,
        taskIds: [...this.inflight.keys()],
        leaseMs: this.leaseMs,
      });
      for (const id of lost) {
        this.inflight
          .get(id)
          ?.abort.abort(
            new BatonError(
              'WORKER_LOST_LEASE',
              `task ${id} is no longer leased to worker ${this.id} (run cancelled, or taken over)`,
            ),
          );
      }
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  private launch(task: ClaimedTask): void {
    const abort = new AbortController();
    this.inflight.set(task.id, { task, abort });
    void this.runTask(task, abort);
  }

  private async runTask(task: ClaimedTask, abort: AbortController): Promise<void> {
    let outcome: StepOutcome;
    try {
      outcome = await (this.observe
        ? this.observe(task, () => this.execute(task, abort.signal))
        : this.execute(task, abort.signal));
    } catch (error) {
      if (error instanceof CannotRunHere) {
        // Not the run's fault: give the task back for a worker that has the code (a rolling deploy).
        this.options.onError?.(error);
        await this.store
          .releaseTask({
            taskId: task.id,
            workerId: this.id,
            delayMs: this.options.releaseDelayMs ?? RELEASE_DELAY_MS,
            reason: error.message,
          })
          .catch((e) => this.options.onError?.(e));
        this.inflight.delete(task.id);
        if (this.inflight.size === 0) this.idle?.();
        return;
      }
      outcome = { type: 'failed', error: toErrorInfo(error) };
    }
    faultPoint(`${task.kind}.after-body`, task.stepId);
    let dispatched: ClaimedTask[] = [];
    if (!abort.signal.aborted || !isLeaseLoss(abort.signal.reason)) {
      // Successors may take this task's slot and any free one; slots promised to completions still
      // in flight count as taken, so a burst of completions cannot exceed the concurrency. A stopping
      // worker takes none.
      const extra = this.running ? Math.max(0, this.concurrency - this.inflight.size - this.reserved) : 0;
      this.reserved += extra;
      try {
        const result = await this.store.completeTask({
          task,
          workerId: this.id,
          outcome,
          dispatch: this.running ? extra + 1 : 0,
          leaseMs: this.leaseMs,
        });
        dispatched = result.dispatched;
      } catch (error) {
        // Not acknowledged: the lease will expire and another attempt will report the outcome.
        this.options.onError?.(error);
      } finally {
        this.reserved -= extra;
      }
    }
    this.inflight.delete(task.id);
    for (const next of dispatched) this.launch(next);
    if (this.inflight.size === 0) this.idle?.();
    // A freed slot is worth a claim unless the completion refilled it and the queue was empty at the
    // last claim: on Postgres a claim is a round trip, and one per step would double the transactions.
    if (dispatched.length === 0 || !this.queueDrained) this.poke();
  }

  private async execute(task: ClaimedTask, signal: AbortSignal): Promise<StepOutcome> {
    const version =
      this.versions.loaded?.(task.run.versionId) ??
      (await this.versions.resolve(task.run.versionId).catch((error: unknown) => {
        throw new CannotRunHere(task.run.versionId, error);
      }));
    const def = version.definition;
    if (task.kind === 'finalize') {
      const ctx = this.context(task, '', signal);
      const value = def.result ? await def.result(ctx) : sinkOutputs(def, ctx.steps);
      if (def.output) {
        const parsed = def.output.safeParse(value);
        if (!parsed.success) {
          throw new NonRetryableError(
            `the run's output does not match the output schema of "${def.name}": ${parsed.error.message}`,
            {
              code: 'INVALID_OUTPUT',
            },
          );
        }
        return { type: 'succeeded', output: parsed.data };
      }
      return { type: 'succeeded', output: value };
    }
    const step = version.steps.get(task.stepId);
    if (!step) {
      throw new NonRetryableError(`version ${task.run.versionId} has no step "${task.stepId}"`, {
        code: 'STEP_NOT_FOUND',
      });
    }
    const kind = this.kinds.get(step.kind);
    if (!kind) {
      throw new NonRetryableError(`no kind "${step.kind}" is registered in worker ${this.id}`, {
        code: 'UNKNOWN_STEP_KIND',
      });
    }
    return this.withTimeout(step, task, signal, async (s) => {
      if (task.kind === 'compensate') {
        const ctx = this.context(task, step.id, s) as CompensationContext;
        ctx.output = task.steps[step.id]?.output;
        ctx.reason = { code: task.runError?.code ?? 'UNKNOWN', message: task.runError?.message ?? '' };
        await step.compensate?.(ctx);
        return { type: 'succeeded', output: null };
      }
      if (task.kind === 'item') {
        if (!kind.executeItem)
          throw new NonRetryableError(`kind "${step.kind}" cannot run items`, { code: 'UNKNOWN_STEP_KIND' });
        const ctx = this.context(task, step.id, s) as ItemContext;
        ctx.index = task.item;
        return { type: 'succeeded', output: await kind.executeItem(step, task.itemValue, ctx, this.env) };
      }
      const ctx = this.context(task, step.id, s);
      if (step.when && !(await step.when(ctx))) return { type: 'skipped', reason: 'its condition was false' };
      return kind.execute(step, ctx, this.env);
    });
  }

  /** Runs `body` with an AbortSignal that fires on the step timeout, the run deadline or lease loss. */
  private withTimeout(
    step: StepDefinition,
    task: ClaimedTask,
    outer: AbortSignal,
    body: (signal: AbortSignal) => Promise<StepOutcome>,
  ): Promise<StepOutcome> {
    const limits: number[] = [];
    if (step.timeoutMs !== undefined) limits.push(step.timeoutMs);
    // Compensations run after the run has failed, often because of its deadline: it must not cut them short.
    if (task.run.deadlineAt !== undefined && (task.kind === 'step' || task.kind === 'item')) {
      limits.push(Math.max(0, task.run.deadlineAt - Date.now()));
    }
    const ms = limits.length === 0 ? undefined : Math.min(...limits);
    return raceTimeout(
      outer,
      ms,
      () =>
        new BatonError('STEP_TIMEOUT', `step "${step.id}" attempt ${task.attempt} ran longer than ${ms} ms`),
      body,
    );
  }

  private context(task: ClaimedTask, stepId: string, signal: AbortSignal): StepContext {
    const steps: Record<string, unknown> = {};
    const status: Record<string, StepStatus> = {};
    for (const [id, s] of Object.entries(task.steps)) {
      steps[id] = s.output;
      status[id] = s.status;
    }
    return {
      input: task.run.input,
      steps,
      status,
      run: {
        id: task.run.id,
        workflow: task.run.workflow,
        versionId: task.run.versionId,
        tenant: task.run.tenant,
        traceId: task.run.traceId,
        depth: task.run.depth,
        createdAt: task.run.createdAt,
        tags: task.run.tags ?? [],
        ...budgetOf(task.run.tags),
      },
      step: { id: stepId, attempt: task.attempt },
      idempotencyKey: idempotencyKeyOf(task, stepId),
      signal,
    };
  }
}

/** The tag that carries a run's budget for model calls (`budget-usd:0.5`), as the API sets it. */
export const BUDGET_TAG = 'budget-usd:';

function budgetOf(tags: readonly string[] | undefined): { budgetUsd?: number } {
  const tag = tags?.find((t) => t.startsWith(BUDGET_TAG));
  const usd = tag === undefined ? Number.NaN : Number(tag.slice(BUDGET_TAG.length));
  return Number.isFinite(usd) && usd > 0 ? { budgetUsd: usd } : {};
}

/** How long a task this worker cannot run stays invisible before another worker may try it. */
const RELEASE_DELAY_MS = 5000;

/** This worker lacks what the run's version needs (its TypeScript code, or a spec's functions). */
class CannotRunHere extends Error {
  override readonly name = 'CannotRunHere';
  constructor(versionId: string, cause: unknown) {
    const code = (cause as { code?: unknown })?.code;
    const message = (cause as Error)?.message ?? String(cause);
    super(
      `cannot run ${versionId} in this worker${typeof code === 'string' ? ` (${code})` : ''}: ${message}`,
      { cause },
    );
  }
}

/** Stable across attempts and takeovers; a compensation has its own, so it is not mistaken for the effect. */
function idempotencyKeyOf(task: ClaimedTask, stepId: string): string {
  if (task.kind === 'item') return `${task.runId}:${stepId}:${task.item}`;
  if (task.kind === 'compensate') return `${task.runId}:${stepId}:compensate`;
  return `${task.runId}:${stepId}`;
}

function isLeaseLoss(reason: unknown): boolean {
  return reason instanceof BatonError && reason.code === 'WORKER_LOST_LEASE';
}

/** The default run output: the outputs of the steps nothing needs, by id. */
export function sinkOutputs(
  def: WorkflowDefinition,
  steps: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const id of sinkStepIds(def.steps)) out[id] = steps[id] ?? null;
  return out;
}
