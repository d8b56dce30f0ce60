/** Replay and fork of past runs. @module */
export { type ForkPlan, planFork } from './fork-plan.js';
export { FORKED_FROM_TAG, type ForkDeps, type ForkOptions, type ForkResult, forkRun } from './fork-run.js';
export { type Recording, readRecording } from './recording.js';
export { type ReplayModelCounts, recordedModels } from './replay-models.js';
export type {
  ReplayMode,
  ReplayOutput,
  ReplayReport,
  ReplayStep,
  ReplayStepStatus,
} from './replay-report.js';
export { type ReplayDeps, type ReplayOptions, replayRun } from './replay-run.js';
