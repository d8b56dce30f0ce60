/**
 * Errors of tool calls. A {@link ToolError} is what the model sees when a call goes wrong: the
 * registry turns every model-caused problem into one and returns it as the tool's result instead of
 * throwing, so the agent can correct itself.
 * @module
 */
import { BatonError, type BatonErrorOptions, isBatonError, toErrorInfo } from '../core/errors.js';

/** Codes a tool call can fail with. */
export type ToolErrorCode =
  /** The tool is not in the caller's grant; nothing ran. */
  | 'TOOL_NOT_GRANTED'
  /** No tool has that name (or its source no longer offers it); nothing ran. */
  | 'TOOL_NOT_FOUND'
  /** The arguments are not JSON or do not match the tool's schema; the handler did not run. */
  | 'TOOL_INPUT_INVALID'
  | 'TOOL_TIMEOUT'
  /** The handler threw. */
  | 'TOOL_FAILED'
  /** The tool's circuit breaker is open after repeated failures; the handler did not run. */
  | 'TOOL_CIRCUIT_OPEN'
  /** The caller (the run) went away. */
  | 'TOOL_CANCELLED';

/** Failures an automatic retry may cure, unless the thrower said otherwise. */
const RETRYABLE: ReadonlySet<ToolErrorCode> = new Set(['TOOL_TIMEOUT', 'TOOL_FAILED']);

/** Options of a {@link ToolError}. */
export interface ToolErrorOptions extends BatonErrorOptions {
  /** The tool involved. */
  tool?: string;
  /**
   * Whether a retry may help. A handler throws `retryable: false` for a failure that retrying
   * cannot cure ("no such customer"), so the registry neither retries it nor counts it against the
   * tool's breaker.
   * @defaultValue true for `TOOL_TIMEOUT` and `TOOL_FAILED`, false otherwise
   */
  retryable?: boolean;
}

/**
 * A tool call failed in a way the model should be told about.
 * @example
 * throw new ToolError('TOOL_FAILED', `no customer ${id}`, { retryable: false, hint: 'Search customers first' });
 */
export class ToolError extends BatonError {
  override readonly name = 'ToolError';
  declare readonly code: ToolErrorCode;
  readonly tool: string | undefined;
  readonly retryable: boolean;

  constructor(code: ToolErrorCode, message: string, options: ToolErrorOptions = {}) {
    super(code, message, options);
    this.tool = options.tool;
    this.retryable = options.retryable ?? RETRYABLE.has(code);
  }
}

/** True for a {@link ToolError}, including ones from another copy of the package. */
export function isToolError(err: unknown): err is ToolError {
  return (
    err instanceof ToolError ||
    (err instanceof Error && err.name === 'ToolError' && 'code' in err && 'retryable' in err)
  );
}

/**
 * Turns anything a tool threw into a {@link ToolError}. Other Baton errors (an MCP server being
 * unavailable) keep their retryability and become `TOOL_FAILED` with the original as `cause`;
 * plain exceptions are `TOOL_FAILED` and retryable, `NonRetryableError` is not.
 */
export function toToolError(err: unknown, tool: string): ToolError {
  if (isToolError(err)) return err;
  const info = toErrorInfo(err);
  return new ToolError('TOOL_FAILED', `${tool} failed: ${info.message}`, {
    tool,
    cause: err,
    retryable: info.retryable ?? true,
    ...(isBatonError(err) ? { details: { causeCode: err.code } } : {}),
  });
}
