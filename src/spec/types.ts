/**
 * The shape of a JSON/YAML workflow spec after validation. Durations stay as written (`'5m'`, `'PT1H'`
 * or milliseconds); expressions are JSONata source text.
 * @module
 */
import type { JsonSchema } from './json-schema.js';

/** A duration as written in a spec: `'250ms'`, `'1h30m'`, `'PT5M'`, or a number of milliseconds. */
export type DurationSpec = string | number;

/** A step's retry policy in a spec; omitted fields take the engine's defaults. */
export interface RetrySpec {
  /** Total attempts including the first (1 to 100). */
  maxAttempts?: number;
  /** Delay before the first retry. */
  initialDelay?: DurationSpec;
  /** Growth factor per retry (at least 1). */
  backoff?: number;
  /** Cap on a single delay. */
  maxDelay?: DurationSpec;
  /** Fraction of each delay that is randomised, from 0 to 1. */
  jitter?: number;
}

/** A compensation: a registered function run if the run fails after the step succeeded. */
export interface CompensateSpec {
  /** Name of the registered function. */
  fn: string;
  /** JSONata expression for the function's args (with `$output` and `$reason` bound); by default the step's output. */
  input?: string;
}

/** The fields every step accepts, whatever its kind. */
export interface CommonStepSpec {
  /** Unique within the workflow; letters, digits, `_` and `-`, not starting with a digit or `-`. */
  id: string;
  /** One of the registered spec kinds (`fn`, `branch`, `map`, `wait`, `approval`, `workflow`, ...). */
  kind: string;
  /** Ids of the steps that must settle before this one starts. */
  needs?: string[];
  /** JSONata condition; when it is false the step is skipped. */
  when?: string;
  description?: string;
  retry?: RetrySpec;
  /** Bound on each attempt. On `approval` steps, the time to wait for a decision instead. */
  timeout?: DurationSpec;
  /** The step changes the outside world. */
  effect?: boolean;
  /** An effect that is safe to repeat, so it may be retried automatically. */
  idempotent?: boolean;
  compensate?: CompensateSpec;
}

/** A validated step: the common fields plus those of its kind. */
export type StepSpec<KindFields = Record<string, unknown>> = CommonStepSpec & KindFields;

/** A validated workflow spec, as stored with its version. */
export interface WorkflowSpec {
  /** Optional URL of a JSON Schema for editors; ignored by Baton. */
  $schema?: string;
  /** Letters, digits, `-`, `_` and `.`, starting with a letter. */
  name: string;
  /** The author's label; numbers in the document are turned into strings. */
  version: string;
  description?: string;
  /** JSON Schema of the run input; anything is accepted when omitted. */
  input?: JsonSchema;
  /** JSON Schema of the run output. */
  outputSchema?: JsonSchema;
  /** JSONata expression computing the run's output from `$input` and `$steps`. */
  output?: string;
  /** Wall-clock bound for the whole run. */
  timeout?: DurationSpec;
  steps: StepSpec[];
}
