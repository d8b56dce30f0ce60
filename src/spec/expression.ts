/**
 * JSONata expressions in specs: syntax checks at validation, compilation once per workflow version,
 * and evaluation against a step's context with errors that say which field of the spec failed.
 * @module
 */
import jsonata from 'jsonata';
import type { StepContext } from '../core/definition.js';
import { BatonError } from '../core/errors.js';

/**
 * Wall-clock bound of one evaluation. JSONata runs on microtasks, so a runaway expression (an infinite
 * tail-recursive lambda) would starve the worker's timers and lease heartbeats until it ends.
 */
export const DEFAULT_EXPRESSION_TIMEOUT_MS = 2_000;

/** Bound on JSONata's own call depth, so deep recursion fails with a clear error instead of a stack overflow. */
const MAX_EXPRESSION_DEPTH = 1_000;

/** What JSONata throws: plain objects, not `Error`s. */
interface JsonataFailure {
  code?: string;
  message?: string;
  position?: number;
  token?: string;
}

/** A compiled spec expression, bound to the spec field it came from. */
export interface SpecExpression {
  /** The expression's source text. */
  readonly text: string;
  /** Where it sits in the spec (`steps[2].input`), for error messages. */
  readonly path: string;
  /**
   * Evaluates against `{ input, steps, run }` with the variables `$input`, `$steps`, `$status`, `$run`,
   * plus `vars` (`$item`/`$index` for map items, `$output`/`$reason` for compensations). The result is a
   * plain JSON copy (JSONata sequences become arrays; functions are dropped).
   * @throws BatonError `EXPRESSION_FAILED` (never retried) when evaluation fails.
   */
  evaluate(ctx: StepContext, vars?: Record<string, unknown>): Promise<unknown>;
  /** Evaluates and converts the result with JSONata's `$boolean` rules (no result is `false`). */
  test(ctx: StepContext, vars?: Record<string, unknown>): Promise<boolean>;
  /** An `EXPRESSION_FAILED` error for a result this expression should not have produced. */
  fail(problem: string, cause?: unknown): BatonError;
}

/** Options for {@link compileExpression}. */
export interface ExpressionOptions {
  /** @defaultValue {@link DEFAULT_EXPRESSION_TIMEOUT_MS} */
  timeoutMs?: number;
}

/** Returns a message describing the syntax error in `text`, or `undefined` when it parses. */
export function expressionSyntaxError(text: string): string | undefined {
  try {
    jsonata(text);
    return undefined;
  } catch (err) {
    return `invalid JSONata expression: ${describeFailure(err)}`;
  }
}

/**
 * Compiles `text` once; the result is evaluated many times.
 * @throws BatonError `INVALID_SPEC` on a syntax error (validation normally catches it first).
 */
export function compileExpression(
  text: string,
  path: string,
  options: ExpressionOptions = {},
): SpecExpression {
  let compiled: jsonata.Expression;
  try {
    compiled = jsonata(text, {
      timeout: options.timeoutMs ?? DEFAULT_EXPRESSION_TIMEOUT_MS,
      stack: MAX_EXPRESSION_DEPTH,
    });
  } catch (err) {
    throw new BatonError('INVALID_SPEC', `expression at ${path} is invalid: ${describeFailure(err)}`, {
      details: { path, expression: text },
      cause: err,
    });
  }
  const fail = (problem: string, cause?: unknown): BatonError =>
    new BatonError('EXPRESSION_FAILED', `expression at ${path} failed: ${problem}`, {
      hint: 'Fix the expression in the spec or the data it reads; the step is not retried',
      details: { path, expression: text, ...failureDetails(cause) },
      cause,
    });
  const evaluate = async (ctx: StepContext, vars: Record<string, unknown> = {}): Promise<unknown> => {
    const document = { input: ctx.input, steps: ctx.steps, run: ctx.run };
    const bindings = { input: ctx.input, steps: ctx.steps, status: ctx.status, run: ctx.run, ...vars };
    let result: unknown;
    try {
      result = await compiled.evaluate(document, bindings);
    } catch (err) {
      throw fail(describeFailure(err), err);
    }
    return toPlainJson(result);
  };
  return {
    text,
    path,
    evaluate,
    test: async (ctx, vars) => toBoolean(await evaluate(ctx, vars)),
    fail,
  };
}

const BOOLEAN = jsonata('$boolean($value)');

/** JSONata's own truthiness, so conditions behave as they do in the JSONata exerciser. */
async function toBoolean(value: unknown): Promise<boolean> {
  return (await BOOLEAN.evaluate(null, { value })) === true;
}

function toPlainJson(value: unknown): unknown {
  if (value === undefined || value === null || typeof value !== 'object') {
    return typeof value === 'function' ? undefined : value;
  }
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
}

function describeFailure(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const failure = err as JsonataFailure;
  const message = failure.message ?? String(err);
  return typeof failure.position === 'number' ? `${message} (at position ${failure.position})` : message;
}

function failureDetails(err: unknown): Record<string, unknown> {
  if (typeof err !== 'object' || err === null) return {};
  const { code, position } = err as JsonataFailure;
  return {
    ...(typeof code === 'string' ? { jsonataCode: code } : {}),
    ...(typeof position === 'number' ? { position } : {}),
  };
}
