/**
 * Compilation of a validated spec into the executable {@link WorkflowDefinition} a worker runs.
 * @module
 */
import type {
  CompensationContext,
  RegisteredFunction,
  StepDefinition,
  WorkflowDefinition,
} from '../core/definition.js';
import { parseDuration } from '../core/duration.js';
import { BatonError } from '../core/errors.js';
import type { SpecIssue } from '../core/graph.js';
import type { RetryPolicy } from '../core/types.js';
import { compileExpression, type ExpressionOptions } from './expression.js';
import { compileJsonSchema } from './json-schema.js';
import type { SpecCompileEnv, SpecKindRegistry } from './kind.js';
import { specKinds } from './registry.js';
import type { RetrySpec, StepSpec, WorkflowSpec } from './types.js';
import { validateSpec } from './validate.js';

/** Where the compiler finds the functions that `fn`, `map` and `compensate` name. */
export interface FunctionLookup {
  get(name: string): RegisteredFunction | undefined;
}

/** Options of {@link compileSpec}. */
export interface CompileSpecOptions {
  /** The step kinds to accept. @defaultValue {@link specKinds} */
  kinds?: SpecKindRegistry;
  /** Wall-clock bound of one expression evaluation. @defaultValue 2000 */
  expressionTimeoutMs?: number;
}

/** At most this many issues are spelled out in the error message; all are in `details.issues`. */
const ISSUES_IN_MESSAGE = 10;

/**
 * Validates a parsed spec document and compiles it into a {@link WorkflowDefinition} whose step configs
 * evaluate the spec's JSONata expressions. Each expression is compiled once, here.
 *
 * Expressions see the document `{ input, steps, run }` and the variables `$input`, `$steps` (step id to
 * output), `$status` (step id to status), `$run`, plus `$item`/`$index` in map items and
 * `$output`/`$reason` in compensations. Step ids that are not JSONata names need backticks:
 * `` $steps.`fetch-data` ``.
 * @throws BatonError `INVALID_SPEC` listing every problem in `details.issues`.
 * @example
 * const definition = compileSpec(parseSpecText(await readFile('invoice.yaml', 'utf8')), functions);
 */
export function compileSpec(
  doc: unknown,
  functions: FunctionLookup,
  options: CompileSpecOptions = {},
): WorkflowDefinition {
  const kinds = options.kinds ?? specKinds;
  const result = validateSpec(doc, { kinds, hasFunction: (name) => functions.get(name) !== undefined });
  if (!result.ok) throw invalidSpec(doc, result.issues);
  const spec = result.spec;
  const expressionOptions: ExpressionOptions =
    options.expressionTimeoutMs === undefined ? {} : { timeoutMs: options.expressionTimeoutMs };

  const steps = spec.steps.map((step, i): StepDefinition => {
    const path = `steps[${i}]`;
    const kind = kinds.get(step.kind);
    if (!kind)
      throw new BatonError(
        'INTERNAL',
        `step kind "${step.kind}" vanished between validation and compilation`,
      );
    const env = compileEnv(path, functions, expressionOptions);
    const kindTakesTimeout = 'timeout' in kind.fields.shape;
    return {
      id: step.id,
      kind: step.kind,
      needs: [...(step.needs ?? [])],
      ...(step.description === undefined ? {} : { description: step.description }),
      ...(step.when === undefined ? {} : { when: conditionOf(env.expression(step.when, 'when')) }),
      ...(step.retry === undefined ? {} : { retry: retryPolicy(step.retry) }),
      ...(step.timeout === undefined || kindTakesTimeout ? {} : { timeoutMs: parseDuration(step.timeout) }),
      ...(step.effect === undefined ? {} : { effect: step.effect }),
      ...(step.idempotent === undefined ? {} : { idempotent: step.idempotent }),
      ...(step.compensate === undefined ? {} : { compensate: compensation(step.compensate, env) }),
      config: kind.compile(step, env),
      describe: structuredClone(step) as Record<string, unknown>,
    };
  });

  const output =
    spec.output === undefined ? undefined : compileExpression(spec.output, 'output', expressionOptions);
  return {
    name: spec.name,
    version: spec.version,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    input: compileJsonSchema(spec.input ?? {}, 'input'),
    ...(spec.outputSchema === undefined
      ? {}
      : { output: compileJsonSchema(spec.outputSchema, 'outputSchema') }),
    steps,
    ...(output === undefined ? {} : { result: (ctx) => output.evaluate(ctx) }),
    ...(spec.timeout === undefined ? {} : { runTimeoutMs: parseDuration(spec.timeout) }),
    source: 'spec',
    definition: structuredClone(spec),
  };
}

function compileEnv(path: string, functions: FunctionLookup, options: ExpressionOptions): SpecCompileEnv {
  return {
    path,
    expression: (text, field) => compileExpression(text, `${path}.${field}`, options),
    fn: (name) => {
      const fn = functions.get(name);
      if (!fn) {
        throw new BatonError(
          'FUNCTION_NOT_REGISTERED',
          `function "${name}" used by ${path} is not registered`,
          {
            hint: 'Register it before compiling the spec',
          },
        );
      }
      return fn;
    },
    duration: parseDuration,
  };
}

function conditionOf(expression: ReturnType<typeof compileExpression>): NonNullable<StepDefinition['when']> {
  return (ctx) => expression.test(ctx);
}

function retryPolicy(retry: RetrySpec): Partial<RetryPolicy> {
  return {
    ...(retry.maxAttempts === undefined ? {} : { maxAttempts: retry.maxAttempts }),
    ...(retry.initialDelay === undefined ? {} : { initialDelayMs: parseDuration(retry.initialDelay) }),
    ...(retry.backoff === undefined ? {} : { backoff: retry.backoff }),
    ...(retry.maxDelay === undefined ? {} : { maxDelayMs: parseDuration(retry.maxDelay) }),
    ...(retry.jitter === undefined ? {} : { jitter: retry.jitter }),
  };
}

function compensation(
  spec: NonNullable<StepSpec['compensate']>,
  env: SpecCompileEnv,
): (ctx: CompensationContext) => Promise<unknown> {
  const fn = env.fn(spec.fn);
  const input = spec.input === undefined ? undefined : env.expression(spec.input, 'compensate.input');
  return async (ctx) => {
    const args = input ? await input.evaluate(ctx, { output: ctx.output, reason: ctx.reason }) : ctx.output;
    return fn(args, ctx);
  };
}

function invalidSpec(doc: unknown, issues: SpecIssue[]): BatonError {
  const name =
    typeof doc === 'object' && doc !== null && typeof (doc as WorkflowSpec).name === 'string'
      ? (doc as WorkflowSpec).name
      : '(unnamed)';
  const count = `${issues.length} problem${issues.length === 1 ? '' : 's'}`;
  const listed = issues
    .slice(0, ISSUES_IN_MESSAGE)
    .map((issue) => `\n  ${issue.path || '(document)'}: ${issue.message} [${issue.code}]`)
    .join('');
  const more =
    issues.length > ISSUES_IN_MESSAGE ? `\n  ...and ${issues.length - ISSUES_IN_MESSAGE} more` : '';
  return new BatonError('INVALID_SPEC', `workflow spec "${name}" is invalid: ${count}`, {
    details: { workflow: name, issues },
    hint: `Fix each problem at its path in the spec (details.issues lists them all):${listed}${more}`,
  });
}
