/**
 * What a replay or a fork reads of a past run: the run, the version it ran on, its steps' final
 * states, and the provenance its steps recorded when they succeeded (request fingerprints).
 * @module
 */
import { BatonError } from '../../core/errors.js';
import type { Run, StepState, WorkflowVersion } from '../../core/types.js';
import type { Store } from '../../store/port.js';

/** A past run as a replay reads it. */
export interface Recording {
  run: Run;
  version: WorkflowVersion;
  steps: ReadonlyMap<string, StepState>;
  /** The `step-succeeded` data of each step (its last success), by step id. */
  provenance: ReadonlyMap<string, Record<string, unknown>>;
}

const PAGE = 1000;

/** Reads a run's recording. @throws BatonError `RUN_NOT_FOUND`, `VERSION_NOT_FOUND` */
export async function readRecording(store: Store, runId: string): Promise<Recording> {
  const run = await store.getRun(runId);
  if (!run) {
    throw new BatonError('RUN_NOT_FOUND', `run ${runId} does not exist`, {
      hint: 'List runs with `baton runs list`',
    });
  }
  const version = await store.getVersion(run.versionId);
  if (!version)
    throw new BatonError('VERSION_NOT_FOUND', `version ${run.versionId} of run ${runId} does not exist`);
  const steps = new Map((await store.getSteps(runId)).map((s) => [s.stepId, s]));
  const provenance = new Map<string, Record<string, unknown>>();
  for (let after = 0; ; ) {
    const page = await store.getHistory(runId, { afterSeq: after, limit: PAGE });
    for (const e of page) {
      if (e.type === 'step-succeeded' && e.stepId && isRecord(e.data)) provenance.set(e.stepId, e.data);
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1]?.seq ?? after;
  }
  return { run, version, steps, provenance };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
