/**
 * `Baton`: the engine's front door. Registers workflows (TypeScript or JSON/YAML specs) and functions,
 * submits runs, answers approvals and events, and starts workers. The HTTP server and the CLI are thin
 * adapters over it.
 * @module
 */
import { join } from 'node:path';
import type { RunSeed } from '../core/commands.js';
import type { RegisteredFunction, StepDefinition, WorkflowDefinition } from '../core/definition.js';
import { diffVersions, type VersionDiff } from '../core/diff.js';
import { BatonError } from '../core/errors.js';
import type {
  ApprovalDecision,
  ClaimedTask,
  HistoryEvent,
  HistoryEventType,
  Run,
  StepState,
  WorkflowVersion,
} from '../core/types.js';
import { TERMINAL_RUN_STATUSES } from '../core/types.js';
import { compileSpec, parseSpecText } from '../spec/index.js';
import type {
  ApprovalFilter,
  ApprovalReassignment,
  AttemptRecord,
  FeedEvent,
  NewRun,
  PendingApproval,
  PruneResult,
  RunFilter,
  Store,
  StoreOptions,
} from '../store/port.js';
import { PostgresStore } from '../store/postgres/postgres-store.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Logger } from '../telemetry/logs.js';
import type { Tracing } from '../telemetry/tracing/tracing.js';
import { BUILTIN_KINDS } from './kinds/builtin-kinds.js';
import type { StepKind } from './kinds/step-kind.js';
import { type ForkOptions, type ForkResult, forkRun } from './replay/fork-run.js';
import type { ReplayReport } from './replay/replay-report.js';
import { type ReplayOptions, replayRun } from './replay/replay-run.js';
import { toNewVersion } from './versions.js';
import { type ExecutableVersion, type VersionResolver, Worker, type WorkerOptions } from './worker.js';

/** Options of {@link Baton.open}. */
export interface BatonOptions {
  /** A store; by default Postgres when `databaseUrl` is set, else SQLite at `dataDir/baton.db`. */
  store?: Store;
  /** `postgres://…`: run on Postgres, shared by any number of worker processes. */
  databaseUrl?: string;
  /** The Postgres schema of Baton's tables. @defaultValue the connection's (`public`) */
  databaseSchema?: string;
  /** Most tasks of one tenant running at once across all workers (see {@link StoreOptions}). */
  tenantConcurrency?: StoreOptions['tenantConcurrency'];
  /** Where the embedded store lives. @defaultValue './.baton' */
  dataDir?: string;
  /** Durability of the embedded store (see the SQLite adapter). @defaultValue 'full' */
  durability?: 'full' | 'normal';
  /** Functions callable by name from spec steps of kind `fn`. */
  functions?: Record<string, RegisteredFunction>;
  /** Extra step kinds (plugins). */
  kinds?: StepKind[];
  /** Trace runs: workers record attempt spans, this process the spans of the runs it finishes. @defaultValue off */
  tracing?: Tracing;
  /** Log step attempts as JSON lines (see `createLogger`). @defaultValue off */
  logger?: Logger;
}

/** Options of {@link Baton.submit}. */
export interface SubmitOptions {
  /** Pin a version id (`name@2`); the latest when omitted. */
  version?: string;
  idempotencyKey?: string;
  priority?: number;
  tenant?: string;
  tags?: string[];
  /** Wall-clock bound of this run (ms), overriding the workflow's. */
  timeoutMs?: number;
  /** At most `limit` tasks of runs sharing `key` at once, across all workers (see {@link NewRun}). */
  concurrency?: { key: string; limit: number };
  /** Steps that start as succeeded with given outputs, not executed: what {@link Baton.fork} uses. */
  seed?: RunSeed;
  /** Join an existing trace (a delegation joins its parent's). @defaultValue a new trace id */
  traceId?: string;
}

/** The engine. */
export class Baton implements VersionResolver {
  private readonly kinds = new Map<string, StepKind>();
  private readonly functions = new Map<string, RegisteredFunction>();
  /** Code definitions registered in this process, by version id. */
  private readonly code = new Map<string, ExecutableVersion>();
  /** Compiled spec versions, by version id. */
  private readonly compiled = new Map<string, ExecutableVersion>();
  private readonly workers: Worker[] = [];
  private telemetry: Pick<WorkerOptions, 'tracing' | 'logger'> = {};
  private unwatch: (() => void) | undefined;

  private constructor(readonly store: Store) {}

  /** Opens the engine on a store (SQLite in `./.baton` by default), migrating it if needed. */
  static async open(options: BatonOptions = {}): Promise<Baton> {
    const limits =
      options.tenantConcurrency === undefined ? {} : { tenantConcurrency: options.tenantConcurrency };
    const store =
      options.store ??
      (options.databaseUrl
        ? new PostgresStore({
            connectionString: options.databaseUrl,
            ...(options.databaseSchema === undefined ? {} : { schema: options.databaseSchema }),
            ...limits,
          })
        : new SqliteStore({
            path: join(options.dataDir ?? '.baton', 'baton.db'),
            durability: options.durability ?? 'full',
            ...limits,
          }));
    await store.init();
    const baton = new Baton(store);
    for (const kind of [...BUILTIN_KINDS, ...(options.kinds ?? [])]) baton.kinds.set(kind.kind, kind);
    for (const [name, fn] of Object.entries(options.functions ?? {})) baton.defineFunction(name, fn);
    if (options.tracing) baton.telemetry.tracing = options.tracing;
    if (options.logger) baton.telemetry.logger = options.logger;
    baton.unwatch = options.tracing?.watch(store);
    return baton;
  }

  /** Makes a function callable from spec steps (`kind: fn`, `fn: name`). */
  defineFunction(name: string, fn: RegisteredFunction): this {
    this.functions.set(name, fn);
    return this;
  }

  /** Adds a step kind (plugins). */
  defineKind(kind: StepKind): this {
    this.kinds.set(kind.kind, kind);
    return this;
  }

  /**
   * Registers a workflow: a definition from the TypeScript builder, or a JSON/YAML spec (text or parsed).
   * The same content registers once; changed content becomes a new version, and running runs stay on theirs.
   */
  async register(workflow: WorkflowDefinition | string | Record<string, unknown>): Promise<WorkflowVersion> {
    const def = isDefinition(workflow)
      ? workflow
      : compileSpec(typeof workflow === 'string' ? parseSpecText(workflow) : workflow, this.functions);
    const { version } = await this.store.registerVersion(toNewVersion(def, this.kinds));
    const executable = {
      definition: def,
      steps: new Map(def.steps.map((s) => [s.id, s] as [string, StepDefinition])),
    };
    (def.source === 'code' ? this.code : this.compiled).set(version.id, executable);
    return version;
  }

  /** Validates a spec without registering it; throws `INVALID_SPEC` with every issue. */
  validate(spec: string | Record<string, unknown>): WorkflowDefinition {
    return compileSpec(typeof spec === 'string' ? parseSpecText(spec) : spec, this.functions);
  }

  loaded(versionId: string): ExecutableVersion | undefined {
    return this.code.get(versionId) ?? this.compiled.get(versionId);
  }

  async resolve(versionId: string): Promise<ExecutableVersion> {
    const known = this.code.get(versionId) ?? this.compiled.get(versionId);
    if (known) return known;
    const version = await this.store.getVersion(versionId);
    if (!version) throw new BatonError('VERSION_NOT_FOUND', `workflow version ${versionId} does not exist`);
    if (version.source === 'code') {
      throw new BatonError(
        'WORKFLOW_CODE_MISSING',
        `run is pinned to ${versionId}, whose TypeScript code is not registered in this process`,
        {
          hint: 'Deploy a worker that registers that version (keep the old definition beside the new one), or cancel the run',
        },
      );
    }
    const def = compileSpec(version.definition, this.functions);
    const executable = {
      definition: def,
      steps: new Map(def.steps.map((s) => [s.id, s] as [string, StepDefinition])),
    };
    this.compiled.set(versionId, executable);
    return executable;
  }

  async childDefinition(workflow: string, version?: string): Promise<WorkflowDefinition | undefined> {
    const v = version ? await this.store.getVersion(version) : await this.store.getLatestVersion(workflow);
    if (!v || v.workflow !== workflow) return undefined;
    return (await this.resolve(v.id)).definition;
  }

  /**
   * Submits a run: validates the input against the version's schema, then creates and starts the run
   * in one transaction. With an idempotency key, a second submit returns the first run.
   */
  async submit(workflow: string, input: unknown, options: SubmitOptions = {}): Promise<Run> {
    const version = options.version
      ? await this.store.getVersion(options.version)
      : await this.store.getLatestVersion(workflow);
    if (!version || version.workflow !== workflow) {
      const known = (await this.store.listWorkflows()).map((w) => w.workflow);
      throw new BatonError(
        options.version ? 'VERSION_NOT_FOUND' : 'WORKFLOW_NOT_FOUND',
        options.version
          ? `workflow "${workflow}" has no version ${options.version}`
          : `workflow "${workflow}" is not registered`,
        {
          hint: known.length ? `Registered workflows: ${known.join(', ')}` : 'No workflow is registered yet',
          details: { workflow },
        },
      );
    }
    const def = (await this.resolve(version.id)).definition;
    const parsed = def.input.safeParse(input);
    if (!parsed.success) {
      throw new BatonError('INVALID_INPUT', `input does not match the input schema of ${version.id}`, {
        hint: 'Fix the fields listed in details.issues',
        details: {
          issues: parsed.error.issues.map((i) => ({
            path: i.path.join('.'),
            code: i.code,
            message: i.message,
          })),
        },
      });
    }
    const timeoutMs = options.timeoutMs ?? version.graph.runTimeoutMs;
    // A worker in this process takes the run's first steps in the same transaction: no claim, no poll.
    const roots = version.graph.steps.filter((s) => s.needs.length === 0).length;
    let worker: Worker | undefined;
    let granted = 0;
    for (const w of this.workers) {
      granted = w.reserveSlots(roots);
      if (granted > 0) {
        worker = w;
        break;
      }
    }
    let dispatched: ClaimedTask[] = [];
    try {
      const created = await this.store.createRun({
        workflow,
        versionId: version.id,
        input: parsed.data,
        ...(options.priority === undefined ? {} : { priority: options.priority }),
        ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
        ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
        ...(options.tags === undefined ? {} : { tags: options.tags }),
        ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        ...(options.traceId === undefined ? {} : { traceId: options.traceId }),
        ...(timeoutMs === undefined ? {} : { deadlineAt: Date.now() + timeoutMs }),
        ...(worker && granted > 0
          ? { dispatchTo: { workerId: worker.id, limit: granted, leaseMs: worker.lease } }
          : {}),
      });
      dispatched = created.dispatched;
      return created.run;
    } finally {
      worker?.adopt(dispatched, granted);
    }
  }

  /** A run, or `RUN_NOT_FOUND`. */
  async getRun(runId: string): Promise<Run> {
    const run = await this.store.getRun(runId);
    if (!run)
      throw new BatonError('RUN_NOT_FOUND', `run ${runId} does not exist`, {
        hint: 'List runs with `baton runs list`',
      });
    return run;
  }

  listRuns(filter?: RunFilter): Promise<Run[]> {
    return this.store.listRuns(filter);
  }

  async steps(runId: string): Promise<StepState[]> {
    await this.getRun(runId);
    return this.store.getSteps(runId);
  }

  async history(runId: string, afterSeq?: number): Promise<HistoryEvent[]> {
    await this.getRun(runId);
    return this.store.getHistory(runId, afterSeq === undefined ? {} : { afterSeq });
  }

  attempts(runId: string): Promise<AttemptRecord[]> {
    return this.store.listAttempts(runId);
  }

  /** Cancels a run, its child runs, timers and waits; compensations of its completed effects run. */
  cancel(runId: string, reason = 'cancelled by request', by?: string): Promise<Run> {
    // The store refuses an unknown or finished run (RUN_NOT_FOUND, RUN_ALREADY_FINISHED) in the same
    // transaction that would cancel it, so there is no separate read to race with.
    return this.store.cancelRun(runId, reason, by);
  }

  /** Decides an approval step that is waiting. Throws `RUN_NOT_WAITING` (changing nothing) otherwise. */
  async decide(runId: string, stepId: string, decision: ApprovalDecision): Promise<void> {
    await this.approvalStep(runId, stepId);
    await this.store.decide(runId, stepId, decision);
  }

  /** Approval steps waiting for a decision, oldest first: the inbox. */
  listApprovals(filter?: ApprovalFilter): Promise<PendingApproval[]> {
    return this.store.listApprovals(filter);
  }

  /**
   * Changes who decides a waiting approval (`assignee` and `role` replace the previous ones).
   * Throws `RUN_NOT_WAITING` (changing nothing) when the step is not waiting for an approval.
   */
  async reassignApproval(runId: string, stepId: string, change: ApprovalReassignment): Promise<void> {
    await this.approvalStep(runId, stepId);
    await this.store.reassignApproval(runId, stepId, change);
  }

  /** History events of every run after `afterSeq`, in `seq` order (see {@link Store.readFeed}). */
  readFeed(request: { afterSeq: number; types?: HistoryEventType[]; limit?: number }): Promise<FeedEvent[]> {
    return this.store.readFeed(request);
  }

  /** Checks that the run exists and that `stepId` is one of its approval steps. */
  private async approvalStep(runId: string, stepId: string): Promise<void> {
    const run = await this.getRun(runId);
    const version = await this.store.getVersion(run.versionId);
    const node = version?.graph.steps.find((s) => s.id === stepId);
    if (!node) {
      throw new BatonError('STEP_NOT_FOUND', `run ${runId} has no step "${stepId}"`, {
        hint: `Its steps: ${version?.graph.steps.map((s) => s.id).join(', ')}`,
      });
    }
    if (node.kind !== 'approval') {
      throw new BatonError(
        'RUN_NOT_WAITING',
        `step "${stepId}" of run ${runId} is a ${node.kind} step, not an approval`,
      );
    }
  }

  /**
   * Publishes an external event: the runs waiting on its key wake, and a run that began before it and
   * reaches a wait on the key later consumes it then.
   *
   * With `options.tenant`, only that tenant's runs wake or consume it; the HTTP API passes the
   * caller's tenant. Without it, any run waiting on the key wakes, whatever its tenant: use that only
   * for trusted callers.
   * @example
   * await baton.sendEvent('order.paid:o-17', { amount: 40 }, { tenant: 'acme' });
   */
  sendEvent(key: string, payload: unknown, options: { tenant?: string } = {}): Promise<{ woken: number }> {
    if (typeof key !== 'string' || key.length === 0) {
      return Promise.reject(new BatonError('INVALID_ARGUMENT', 'an event needs a non-empty key'));
    }
    if (options.tenant !== undefined && (typeof options.tenant !== 'string' || options.tenant.length === 0)) {
      return Promise.reject(
        new BatonError('INVALID_ARGUMENT', 'an event tenant must be a non-empty string', {
          hint: 'Leave `tenant` out to wake the runs of every tenant',
        }),
      );
    }
    return this.store.publishEvent(key, payload, options);
  }

  async versions(workflow: string): Promise<WorkflowVersion[]> {
    const versions = await this.store.listVersions(workflow);
    if (versions.length === 0)
      throw new BatonError('WORKFLOW_NOT_FOUND', `workflow "${workflow}" is not registered`);
    return versions;
  }

  listWorkflows() {
    return this.store.listWorkflows();
  }

  /** What changed between two versions: steps added, removed and changed, field by field. */
  async diff(fromId: string, toId: string): Promise<VersionDiff> {
    const [a, b] = await Promise.all([this.store.getVersion(fromId), this.store.getVersion(toId)]);
    if (!a) throw new BatonError('VERSION_NOT_FOUND', `version ${fromId} does not exist`);
    if (!b) throw new BatonError('VERSION_NOT_FOUND', `version ${toId} does not exist`);
    return diffVersions(a, b);
  }

  /**
   * Re-executes a past run with the code of `options.version` (default: its own) against what it
   * recorded, and reports each step as `same`, `diverged`, `new` or `missing`. No model is called,
   * no effect runs, nothing is written (see `runtime/replay`).
   * @example
   * const report = await baton.replay(runId, { version: 'triage@3' });
   */
  replay(runId: string, options: ReplayOptions = {}): Promise<ReplayReport> {
    return replayRun(
      { store: this.store, resolve: (id) => this.resolve(id), kinds: this.kinds },
      runId,
      options,
    );
  }

  /**
   * Starts a new run from step `options.fromStep` of a past run: the steps before it keep their
   * recorded outputs (never executed again), the rest run live. Refuses with `FORK_EFFECTS_REFUSED`
   * when effect steps would run, unless `allowEffects` is set. Tagged `forked-from:<run>@<step>`.
   * @example
   * const { run } = await baton.fork(runId, { fromStep: 'draft', version: 'triage@3' });
   */
  fork(runId: string, options: ForkOptions): Promise<ForkResult> {
    return forkRun({ store: this.store, submit: (w, input, o) => this.submit(w, input, o) }, runId, options);
  }

  /** Deletes runs that finished before `before` (ms since epoch), with their history. */
  prune(before: number): Promise<PruneResult> {
    return this.store.prune(before);
  }

  /** Starts a worker in this process. */
  worker(options: WorkerOptions = {}): Worker {
    const worker = new Worker(this.store, this, this.kinds, { ...this.telemetry, ...options }).start();
    this.workers.push(worker);
    return worker;
  }

  /**
   * Resolves when the run reaches a terminal status (or rejects with `RUN_TIMEOUT` after `timeoutMs`).
   * Runs finished by this process are seen the moment they commit; others by polling every `pollMs`.
   */
  async waitForRun(runId: string, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<Run> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let wake = () => {};
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      // Subscribed before reading, so a finish between the read and the wait is not missed.
      const off = this.store.onRunFinished((r) => {
        if (r.id === runId) wake();
      });
      try {
        const run = await this.getRun(runId);
        if (TERMINAL_RUN_STATUSES.has(run.status)) return run;
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new BatonError(
            'RUN_TIMEOUT',
            `run ${runId} did not finish within ${timeoutMs} ms (it is ${run.status})`,
          );
        }
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          woken,
          new Promise((r) => (timer = setTimeout(r, Math.min(left, options.pollMs ?? 250)))),
        ]);
        clearTimeout(timer);
      } finally {
        off();
      }
    }
  }

  /** Stops this process's workers and closes the store. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
    this.unwatch?.();
    // Run spans being recorded read the store: they finish before it closes.
    await this.telemetry.tracing?.flush().catch(() => undefined);
    await this.store.close();
  }
}

function isDefinition(value: unknown): value is WorkflowDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    'steps' in value &&
    'source' in value &&
    'input' in value &&
    typeof (value as { input: { safeParse?: unknown } }).input.safeParse === 'function'
  );
}
