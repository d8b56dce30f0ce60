/**
 * What a replay reports, step by step, and how its details read.
 * @module
 */
import type { ErrorInfo } from '../../core/errors.js';
import { stableStringify } from '../../gateway/stable-json.js';

/** How a replayed step compares with the recorded run. */
export type ReplayStepStatus = 'same' | 'diverged' | 'new' | 'missing';

/** How the replay produced a step's outcome. */
export type ReplayMode =
  /** Run for real: a pure step (`fn`, `branch`, `map` without `effect`). */
  | 'executed'
  /** Run with its model calls answered from the recording (`llm`, `agent`). */
  | 'answered'
  /** Not run: its recorded outcome was taken (effects, `tool`, `approval`, `wait`, `workflow`...). */
  | 'recorded'
  /** Not run and no recorded outcome: a new step that would call a model or the outside world. */
  | 'not-run';

/** One step of a replay report. */
export interface ReplayStep {
  stepId: string;
  status: ReplayStepStatus;
  /** Why: what differs, or how the step was replayed. */
  detail: string;
  mode: ReplayMode | 'absent';
}

/** How the run's output, computed by the replayed version from the replayed steps, compares. */
export interface ReplayOutput {
  /** `not-compared` when the recorded run did not succeed or a step did not in the replay. */
  status: 'same' | 'diverged' | 'not-compared';
  detail: string;
}

/** What a replay found. */
export interface ReplayReport {
  runId: string;
  workflow: string;
  /** The version the run was recorded on. */
  recordedWith: string;
  /** The version whose code was replayed. */
  replayedWith: string;
  /** True when any step is not `same`, or the run's output diverged. */
  diverged: boolean;
  /** The steps of the replayed version in dependency order, then those it no longer has (`missing`). */
  steps: ReplayStep[];
  /** The run's output. */
  output: ReplayOutput;
  /** Model calls sent to a model: always 0, a replay answers from the recording. */
  modelCalls: number;
  /** Effects executed: always 0, a replay takes their recorded outcome. */
  effects: number;
  /** Model calls the recording answered (`llm` steps; agents read their journal instead). */
  answeredFromRecording: number;
  /** Model calls refused because the recording had no answer (the step diverged). */
  refusedModelCalls: number;
}

/** A step's outcome in the replay or in the recording. @internal */
export type Outcome =
  | { status: 'succeeded'; output: unknown }
  | { status: 'skipped' }
  | { status: 'failed'; error: ErrorInfo }
  /** Not started: a step it needs did not succeed, or it has no recording to be replayed from. */
  | { status: 'unreached' };

/** Equal as JSON, whatever the key order. */
export function same(a: unknown, b: unknown): boolean {
  return stableStringify(a ?? null) === stableStringify(b ?? null);
}

/** An outcome in a few words: `succeeded`, `failed (CODE)`, `not run`. */
export function describe(o: Outcome): string {
  if (o.status === 'failed') return `failed (${o.error.code})`;
  if (o.status === 'unreached') return 'not run';
  return o.status;
}

/** The detail of a step the recorded version did not have. */
export function newDetail(mode: ReplayMode, o: Outcome): string {
  if (mode === 'executed') return `not in the recorded version; executed: ${describe(o)}`;
  if (o.status === 'skipped') return 'not in the recorded version; skipped';
  return 'not in the recorded version; not executed: a replay has no recording of its model calls or effects';
}

/** The detail of a step that compares the same: how it was replayed. */
export function sameDetail(
  mode: ReplayMode,
  o: Outcome,
  provenance: Record<string, unknown> | undefined,
  recorded: Record<string, unknown> | undefined,
): string {
  if (o.status === 'unreached') return 'not run, as in the recorded run';
  if (o.status === 'skipped') return 'skipped, as in the recorded run';
  if (mode === 'executed') return `executed: ${describe(o)} with the recorded output`;
  if (mode === 'answered') {
    return provenance && typeof recorded?.request === 'string'
      ? 'same request as recorded; answered from the recording'
      : 'answered from the recording (no request fingerprint was recorded: inputs compared only)';
  }
  return 'not executed: recorded outcome used, same inputs';
}
