/**
 * Replay: re-execute a past run's steps, with the code of a version registered in this process,
 * against what the run recorded, and report where the new execution diverges. Nothing is written and
 * nothing leaves the process: no run is created, no model is called, no effect runs.
 *
 * Steps run in dependency order, outside the engine, each with the context the worker would give it:
 * - `fn`, `branch` and `map` steps without `effect` run for real (pure by contract);
 * - steps of kinds with a replay binding (`llm`, `agent`) run with their model calls answered from the
 *   recording (an `llm` step's recorded output, an agent's journal), so their request is rebuilt by
 *   the new code and compared with the recorded fingerprint;
 * - effects and every other kind (`tool`, `approval`, `wait`, `workflow`, `plan`) take their
 *   recorded outcome; only what they were given is compared.
 * @module
 */
import type { StepContext, StepDefinition, WorkflowDefinition } from '../../core/definition.js';
import { BatonError, type ErrorInfo, toErrorInfo } from '../../core/errors.js';
import type { Graph, StepStatus } from '../../core/types.js';
import { stepsVisibleTo } from '../../store/claims.js';
import type { Store } from '../../store/port.js';
import type { KindEnvironment, StepKind } from '../kinds/step-kind.js';
import { raceTimeout } from '../race-timeout.js';
import { type ExecutableVersion, sinkOutputs } from '../worker.js';
import { type Recording, readRecording } from './recording.js';
import { type ReplayModelCounts, recordedModels } from './replay-models.js';
import {
  describe,
  newDetail,
  type Outcome,
  type ReplayMode,
  type ReplayOutput,
  type ReplayReport,
  type ReplayStep,
  same,
  sameDetail,
} from './replay-report.js';
import { replayContext } from './step-context.js';

/** What {@link replayRun} needs from the engine. */
export interface ReplayDeps {
  store: Store;
  /** The executable code of a version (as registered in this process). */
  resolve(versionId: string): Promise<ExecutableVersion>;
  kinds: ReadonlyMap<string, StepKind>;
}

/** Options of {@link replayRun}. */
export interface ReplayOptions {
  /** The version to replay with (same workflow). @defaultValue the run's own version */
  version?: string;
  /** Stops step bodies that honour it. */
  signal?: AbortSignal;
}

/** Kinds a replay runs for real when they are not effects: they compute, they do not act. */
const PURE_KINDS = new Set(['fn', 'branch', 'map']);

/**
 * Replays run `runId` with the code of `options.version` (default: its own) and compares every step.
 * @throws BatonError `RUN_NOT_FOUND`, `VERSION_NOT_FOUND`, `INVALID_ARGUMENT` (a version of another workflow), `WORKFLOW_CODE_MISSING`
 */
export async function replayRun(
  deps: ReplayDeps,
  runId: string,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const rec = await readRecording(deps.store, runId);
  const versionId = options.version ?? rec.run.versionId;
  const version = versionId === rec.version.id ? rec.version : await deps.store.getVersion(versionId);
  if (!version) throw new BatonError('VERSION_NOT_FOUND', `version ${versionId} does not exist`);
  if (version.workflow !== rec.run.workflow) {
    throw new BatonError(
      'INVALID_ARGUMENT',
      `version ${versionId} is of workflow "${version.workflow}", not "${rec.run.workflow}" of run ${runId}`,
      {
        hint: `Replay with a version of ${rec.run.workflow}: see \`baton workflows show ${rec.run.workflow}\``,
      },
    );
  }
  const code = await deps.resolve(versionId);
  const replay = new Replay(
    deps,
    rec,
    versionId,
    version.graph,
    options.signal ?? new AbortController().signal,
  );
  const steps: ReplayStep[] = [];
  for (const step of dependencyOrder(code.definition.steps)) steps.push(await replay.step(step));
  const kept = new Set(code.definition.steps.map((s) => s.id));
  for (const node of rec.version.graph.steps) {
    if (kept.has(node.id)) continue;
    const was = rec.steps.get(node.id)?.status ?? 'not run';
    steps.push({
      stepId: node.id,
      status: 'missing',
      detail: `not in ${versionId}; recorded ${was}`,
      mode: 'absent',
    });
  }
  const output = await replay.output(code.definition);
  return {
    runId,
    workflow: rec.run.workflow,
    recordedWith: rec.run.versionId,
    replayedWith: versionId,
    diverged: steps.some((s) => s.status !== 'same') || output.status === 'diverged',
    steps,
    output,
    modelCalls: 0,
    effects: 0,
    answeredFromRecording: replay.counts.answered,
    refusedModelCalls: replay.counts.refused,
  };
}

/** The state of one replay: outcomes so far, branch choices, model counts. */
class Replay {
  readonly counts: ReplayModelCounts = { answered: 0, refused: 0 };
  private readonly outcomes = new Map<string, Outcome>();
  private readonly notChosen = new Set<string>();

  constructor(
    private readonly deps: ReplayDeps,
    private readonly rec: Recording,
    private readonly versionId: string,
    private readonly graph: Graph,
    private readonly signal: AbortSignal,
  ) {}

  async step(step: StepDefinition): Promise<ReplayStep> {
    const recordedNode = this.rec.version.graph.steps.find((s) => s.id === step.id);
    const needs = step.needs.map((n) => this.outcomes.get(n));
    const visible = this.visible(step.id);
    let mode: ReplayMode = 'recorded';
    let outcome: Outcome;
    let provenance: Record<string, unknown> | undefined;
    if (needs.some((o) => o?.status !== 'succeeded' && o?.status !== 'skipped')) {
      outcome = { status: 'unreached' };
    } else if (
      this.notChosen.has(step.id) ||
      (needs.length > 0 && needs.every((o) => o?.status === 'skipped'))
    ) {
      outcome = { status: 'skipped' };
    } else {
      const ctx = replayContext(this.rec.run, this.versionId, step.id, visible, this.signal);
      const when = await condition(step, ctx);
      if (when !== true) {
        outcome = when === false ? { status: 'skipped' } : { status: 'failed', error: when };
      } else {
        mode = this.modeOf(step, recordedNode !== undefined);
        ({ outcome, provenance } = await this.run(step, mode, ctx));
      }
    }
    const replayed = outcome;
    // A step that fails in the replay but succeeded in the recording hands its recorded output on,
    // so that the steps after it are still compared.
    const recorded = this.recordedOutcome(step.id);
    if (replayed.status !== 'succeeded' && recorded.status === 'succeeded' && mode !== 'recorded') {
      this.outcomes.set(step.id, recorded);
    } else {
      this.outcomes.set(step.id, replayed);
    }
    if (!recordedNode) {
      return { stepId: step.id, status: 'new', detail: newDetail(mode, replayed), mode };
    }
    const diffs: string[] = [];
    const before = [...recordedNode.needs].sort().join(', ');
    const after = [...step.needs].sort().join(', ');
    if (before !== after) diffs.push(`needs changed: [${before}] → [${after}]`);
    // A step that did not run saw nothing: only what a step ran with is compared.
    if (replayed.status === 'succeeded' || replayed.status === 'failed') {
      const changed = [...visible]
        .filter(([id, s]) => {
          const was = this.rec.steps.get(id);
          return was !== undefined && s.status === was.status && !same(s.output, was.output);
        })
        .map(([id]) => id);
      if (changed.length > 0) diffs.push(`input differs: output of ${changed.join(', ')}`);
    }
    const was = this.rec.provenance.get(step.id);
    if (provenance && typeof was?.request === 'string' && was.request !== provenance.request) {
      const prompts =
        was.prompt !== provenance.prompt
          ? ` (prompt ${was.prompt ?? 'none'} → ${provenance.prompt ?? 'none'})`
          : '';
      diffs.push(`request differs from the recorded one${prompts}`);
    }
    if (replayed.status !== recorded.status) {
      diffs.push(`recorded ${describe(recorded)}, replay ${describe(replayed)}`);
    } else if (
      replayed.status === 'succeeded' &&
      recorded.status === 'succeeded' &&
      !same(replayed.output, recorded.output)
    ) {
      diffs.push('output differs');
    }
    if (diffs.length > 0) return { stepId: step.id, status: 'diverged', detail: diffs.join('; '), mode };
    return { stepId: step.id, status: 'same', detail: sameDetail(mode, replayed, provenance, was), mode };
  }

  /** The run's output as the version computes it (its finalize task) from the replayed steps. */
  async output(def: WorkflowDefinition): Promise<ReplayOutput> {
    if (this.rec.run.status !== 'succeeded') {
      return { status: 'not-compared', detail: `the recorded run ${this.rec.run.status}` };
    }
    const settled = new Map<string, { status: StepStatus; output: unknown }>();
    for (const step of def.steps) {
      const o = this.outcomes.get(step.id);
      if (o?.status === 'succeeded') settled.set(step.id, { status: 'succeeded', output: o.output });
      else if (o?.status === 'skipped') settled.set(step.id, { status: 'skipped', output: undefined });
      else return { status: 'not-compared', detail: `step "${step.id}" did not succeed in the replay` };
    }
    const ctx = replayContext(this.rec.run, this.versionId, '', settled, this.signal);
    try {
      let value = def.result ? await def.result(ctx) : sinkOutputs(def, ctx.steps);
      if (def.output) {
        const parsed = def.output.safeParse(value);
        if (!parsed.success) return { status: 'diverged', detail: 'the output does not match its schema' };
        value = parsed.data;
      }
      return same(value, this.rec.run.output)
        ? { status: 'same', detail: 'same output as recorded' }
        : { status: 'diverged', detail: 'the output differs from the recorded one' };
    } catch (error) {
      return { status: 'diverged', detail: `computing the output fails: ${toErrorInfo(error).message}` };
    }
  }

  private modeOf(step: StepDefinition, recorded: boolean): ReplayMode {
    const kind = this.deps.kinds.get(step.kind);
    if (!step.effect && kind && PURE_KINDS.has(step.kind)) return 'executed';
    if (!recorded) return 'not-run';
    if (step.effect || !kind?.replay) return 'recorded';
    return this.rec.steps.get(step.id)?.status === 'succeeded' ? 'answered' : 'recorded';
  }

  private async run(
    step: StepDefinition,
    mode: ReplayMode,
    ctx: StepContext,
  ): Promise<{ outcome: Outcome; provenance?: Record<string, unknown> }> {
    if (mode === 'recorded') {
      const recorded = this.recordedOutcome(step.id);
      // A branch not re-executed (an effect) still chose: its recorded output is the chosen ids.
      if (step.kind === 'branch' && recorded.status === 'succeeded' && Array.isArray(recorded.output)) {
        this.skipNotChosen(step.id, recorded.output.map(String));
      }
      return { outcome: recorded };
    }
    if (mode === 'not-run') return { outcome: { status: 'unreached' } };
    const recordedStep = this.rec.steps.get(step.id);
    const at = recordedStep?.startedAt ?? this.rec.run.startedAt ?? this.rec.run.createdAt;
    const env: KindEnvironment = { now: () => at, childDefinition: async () => undefined };
    let kind = this.deps.kinds.get(step.kind) as StepKind;
    if (mode === 'answered') {
      kind = (kind.replay as NonNullable<StepKind['replay']>)({
        recordedOutput: recordedStep?.output,
        models: (answers) => recordedModels(step.id, answers, this.counts),
        now: () => at,
      });
    }
    try {
      const result = await withStepTimeout(step, ctx.signal, (signal) =>
        kind.execute(step, { ...ctx, signal }, env),
      );
      switch (result.type) {
        case 'succeeded':
          return {
            outcome: { status: 'succeeded', output: result.output },
            ...(result.provenance ? { provenance: result.provenance } : {}),
          };
        case 'branched':
          this.skipNotChosen(step.id, result.chosen);
          return { outcome: { status: 'succeeded', output: result.output } };
        case 'skipped':
          return { outcome: { status: 'skipped' } };
        case 'failed':
          return { outcome: { status: 'failed', error: result.error } };
        case 'fanned-out':
          return { outcome: await this.items(step, kind, result.items, ctx, env) };
        case 'suspended':
          return { outcome: this.recordedOutcome(step.id) };
      }
    } catch (error) {
      return { outcome: { status: 'failed', error: toErrorInfo(error) } };
    }
  }

  /** The items of a pure `map` step, one after another, aggregated as the store aggregates them. */
  private async items(
    step: StepDefinition,
    kind: StepKind,
    items: unknown[],
    ctx: StepContext,
    env: KindEnvironment,
  ): Promise<Outcome> {
    const collect = this.graph.steps.find((s) => s.id === step.id)?.map?.onItemFailure === 'collect';
    const out: unknown[] = [];
    for (const [index, item] of items.entries()) {
      try {
        const value = await withStepTimeout(step, ctx.signal, (signal) =>
          Promise.resolve(
            kind.executeItem?.(
              step,
              item,
              { ...ctx, signal, index, idempotencyKey: `${ctx.idempotencyKey}:${index}` },
              env,
            ),
          ),
        );
        out.push(collect ? { ok: true, value: value ?? null } : (value ?? null));
      } catch (error) {
        if (!collect) return { status: 'failed', error: toErrorInfo(error) };
        out.push({ ok: false, error: toErrorInfo(error) });
      }
    }
    return { status: 'succeeded', output: out };
  }

  /** As the state machine does: the dependents of a branch it did not choose are skipped. */
  private skipNotChosen(branchId: string, chosen: readonly string[]): void {
    for (const dep of this.graph.steps) {
      if (dep.needs.includes(branchId) && !chosen.includes(dep.id)) this.notChosen.add(dep.id);
    }
  }

  private recordedOutcome(stepId: string): Outcome {
    const s = this.rec.steps.get(stepId);
    if (s?.status === 'succeeded') return { status: 'succeeded', output: s.output };
    if (s?.status === 'skipped') return { status: 'skipped' };
    if (s?.status === 'failed') {
      return { status: 'failed', error: s.error ?? { code: 'STEP_FAILED', message: 'failed' } };
    }
    return { status: 'unreached' };
  }

  /** The settled steps `stepId` may see (its ancestors), as the worker hands them to a task. */
  private visible(stepId: string): Map<string, { status: StepStatus; output: unknown }> {
    const out = new Map<string, { status: StepStatus; output: unknown }>();
    for (const id of stepsVisibleTo(this.graph, 'step', stepId) ?? []) {
      const o = this.outcomes.get(id);
      if (o?.status === 'succeeded') out.set(id, { status: 'succeeded', output: o.output });
      else if (o?.status === 'skipped') out.set(id, { status: 'skipped', output: undefined });
    }
    return out;
  }
}

/**
 * Runs a step body under the step's `timeout`, as the worker does for each attempt: a body that never
 * settles (the recorded run may have failed with `STEP_TIMEOUT` because of it) would otherwise hold the
 * replay, and the API request waiting for it, forever.
 */
function withStepTimeout<T>(
  step: StepDefinition,
  outer: AbortSignal,
  body: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ms = step.timeoutMs;
  return raceTimeout(
    outer,
    ms,
    () =>
      new BatonError('STEP_TIMEOUT', `step "${step.id}" ran longer than ${ms} ms in the replay`, {
        hint: 'The step timed out as it would on a worker; its `timeout` bounds the replay too',
      }),
    body,
  );
}

/** The step's `when` (true without one), or the error it threw. */
async function condition(step: StepDefinition, ctx: StepContext): Promise<boolean | ErrorInfo> {
  try {
    return step.when ? await step.when(ctx) : true;
  } catch (error) {
    return toErrorInfo(error);
  }
}

/** Steps ordered so that each comes after its needs; declaration order otherwise. */
function dependencyOrder(steps: readonly StepDefinition[]): StepDefinition[] {
  const placed = new Set<string>();
  const out: StepDefinition[] = [];
  let left = [...steps];
  while (left.length > 0) {
    const ready = left.filter((s) => s.needs.every((n) => placed.has(n)));
    // Registered versions have no cycles; an unknown need would loop, so place what is left as is.
    const batch = ready.length > 0 ? ready : left;
    for (const s of batch) {
      placed.add(s.id);
      out.push(s);
    }
    left = left.filter((s) => !placed.has(s.id));
  }
  return out;
}
