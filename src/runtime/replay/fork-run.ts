/**
 * Fork: a new, real run of a past run's workflow that starts at step N. The steps before N keep the
 * recorded outputs (they start as succeeded, never executed); N and what follows run live, with the
 * same or an edited input, on the same or another version. Effects among the live steps are refused
 * unless `allowEffects` says otherwise: a fork never repeats an effect by surprise.
 * @module
 */
import type { RunSeed } from '../../core/commands.js';
import { BatonError } from '../../core/errors.js';
import type { Run } from '../../core/types.js';
import type { Store } from '../../store/port.js';
import { planFork } from './fork-plan.js';

/** Options of a fork. */
export interface ForkOptions {
  /** The first step executed live. */
  fromStep: string;
  /** The fork's input. @defaultValue the run's input */
  input?: unknown;
  /** The version the fork runs (same workflow): another prompt or code. @defaultValue the run's version */
  version?: string;
  /**
   * Let effect steps at or after `fromStep` run. Without it, a fork that would execute an effect step
   * is refused with `FORK_EFFECTS_REFUSED` listing them, before anything starts. @defaultValue false
   */
  allowEffects?: boolean;
}

/** A fork that started. */
export interface ForkResult {
  run: Run;
  /** Steps that kept their recorded outcome, not executed. */
  reused: string[];
  /** Steps the fork executes live. */
  executed: string[];
  /** Effect steps among them (run because `allowEffects` was set). */
  effects: string[];
}

/** What {@link forkRun} needs from the engine: `Baton` has it. */
export interface ForkDeps {
  store: Store;
  submit(
    workflow: string,
    input: unknown,
    options: { version?: string; tenant?: string; priority?: number; tags?: string[]; seed?: RunSeed },
  ): Promise<Run>;
}

/** The tag a fork carries: `forked-from:<run>@<step>`. */
export const FORKED_FROM_TAG = 'forked-from:';

/**
 * Starts a fork of run `runId` from `options.fromStep`.
 * @throws BatonError `RUN_NOT_FOUND`, `VERSION_NOT_FOUND`, `STEP_NOT_FOUND` (no such step), `INVALID_ARGUMENT`,
 * `INVALID_INPUT`, `FORK_EFFECTS_REFUSED` (effects would run and `allowEffects` is not set)
 */
export async function forkRun(deps: ForkDeps, runId: string, options: ForkOptions): Promise<ForkResult> {
  const run = await deps.store.getRun(runId);
  if (!run) {
    throw new BatonError('RUN_NOT_FOUND', `run ${runId} does not exist`, {
      hint: 'List runs with `baton runs list`',
    });
  }
  const versionId = options.version ?? run.versionId;
  const version = await deps.store.getVersion(versionId);
  if (!version) throw new BatonError('VERSION_NOT_FOUND', `version ${versionId} does not exist`);
  if (version.workflow !== run.workflow) {
    throw new BatonError(
      'INVALID_ARGUMENT',
      `version ${versionId} is of workflow "${version.workflow}", not "${run.workflow}" of run ${runId}`,
    );
  }
  const plan = planFork(runId, version.graph, await deps.store.getSteps(runId), options.fromStep);
  if (plan.effects.length > 0 && options.allowEffects !== true) {
    throw new BatonError(
      'FORK_EFFECTS_REFUSED',
      `forking run ${runId} from "${options.fromStep}" would execute the effect steps ${plan.effects.map((e) => `"${e}"`).join(', ')}`,
      {
        hint: 'Pass allowEffects (--allow-effects) to run them, or fork from a step after them',
        details: { runId, fromStep: options.fromStep, effects: plan.effects },
      },
    );
  }
  const forked = await deps.submit(run.workflow, options.input === undefined ? run.input : options.input, {
    version: versionId,
    tenant: run.tenant,
    priority: run.priority,
    tags: [
      ...run.tags.filter((t) => !t.startsWith(FORKED_FROM_TAG)),
      `${FORKED_FROM_TAG}${runId}@${options.fromStep}`,
    ],
    seed: plan.seed,
  });
  return {
    run: forked,
    reused: [...Object.keys(plan.seed.outputs), ...(plan.seed.skipped ?? [])],
    executed: plan.execute,
    effects: plan.effects,
  };
}
