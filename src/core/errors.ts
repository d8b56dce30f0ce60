/**
 * Baton's error hierarchy. Every error a user can see is a {@link BatonError} with a stable string
 * `code`, the ids involved, and a sentence saying what to do next. Control-flow errors thrown by
 * user code ({@link NonRetryableError}, {@link RetryAfterError}) stay separate.
 * @module
 */

/** Stable error codes. The HTTP layer maps them to statuses in one place; scripts may match on them. */
export type ErrorCode =
  | 'INVALID_SPEC'
  | 'INVALID_INPUT'
  | 'INVALID_OUTPUT'
  | 'INVALID_ARGUMENT'
  | 'WORKFLOW_NOT_FOUND'
  | 'VERSION_NOT_FOUND'
  | 'WORKFLOW_CODE_MISSING'
  | 'FUNCTION_NOT_REGISTERED'
  | 'UNKNOWN_STEP_KIND'
  | 'RUN_NOT_FOUND'
  | 'IDEMPOTENCY_CONFLICT'
  | 'STEP_NOT_FOUND'
  | 'RUN_NOT_WAITING'
  | 'RUN_ALREADY_FINISHED'
  | 'STEP_FAILED'
  | 'STEP_TIMEOUT'
  | 'RUN_TIMEOUT'
  | 'RUN_CANCELLED'
  | 'WAIT_TIMEOUT'
  | 'APPROVAL_REJECTED'
  | 'CHILD_DEPTH_EXCEEDED'
  | 'CHILD_RUN_FAILED'
  | 'MAP_TOO_WIDE'
  | 'MAP_ITEM_FAILED'
  | 'EXPRESSION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'COMPENSATION_FAILED'
  | 'WORKER_LOST_LEASE'
  | 'STORE_SCHEMA_TOO_NEW'
  | 'STORE_SERVER_TOO_OLD'
  | 'PII_BLOCKED'
  | 'PROVIDER_RATE_LIMITED'
  | 'PROVIDER_UNAVAILABLE'
  | 'PROVIDER_TIMEOUT'
  | 'PROVIDER_CONNECTION'
  | 'PROVIDER_BAD_RESPONSE'
  | 'PROVIDER_REJECTED'
  | 'PROVIDER_AUTH'
  | 'PROVIDER_NOT_FOUND'
  | 'CONTEXT_LENGTH_EXCEEDED'
  | 'STREAM_INTERRUPTED'
  | 'CIRCUIT_OPEN'
  | 'BUDGET_EXCEEDED'
  | 'RATE_LIMITED'
  | 'KEY_INVALID'
  | 'MODEL_NOT_ALLOWED'
  | 'ROUTE_NOT_FOUND'
  | 'INVALID_REQUEST'
  | 'CASSETTE_MISS'
  | 'REQUEST_CANCELLED'
  | 'STORE_UNAVAILABLE'
  | 'CONFIG_INVALID'
  | 'PROMPT_INVALID'
  | 'PROMPT_NOT_FOUND'
  | 'PROMPT_VARIABLE_MISSING'
  | 'PROMPT_VERSION_EDITED'
  | 'OUTPUT_SCHEMA_VIOLATION'
  | 'PLAN_INVALID'
  | 'MCP_TOOL_ERROR'
  | 'MCP_UNAVAILABLE'
  | 'TOOL_NOT_GRANTED'
  | 'TOOL_NOT_FOUND'
  | 'TOOL_INPUT_INVALID'
  | 'TOOL_TIMEOUT'
  | 'TOOL_FAILED'
  | 'TOOL_CIRCUIT_OPEN'
  | 'TOOL_CANCELLED'
  | 'AGENT_MAX_ITERATIONS'
  | 'AGENT_NOT_FOUND'
  | 'AGENT_JOURNAL_MISMATCH'
  | 'REPLAY_NO_RECORDING'
  | 'FORK_EFFECTS_REFUSED'
  | 'TIMEOUT'
  | 'FORBIDDEN'
  | 'UNAUTHENTICATED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'APPROVAL_NOT_FOUND'
  | 'WEBHOOK_NOT_FOUND'
  | 'DELIVERY_NOT_FOUND'
  | 'TRIGGER_NOT_FOUND'
  | 'KEY_NOT_FOUND'
  | 'GATEWAY_NOT_CONFIGURED'
  | 'INTERNAL';

/** The serializable form of an error, as stored in history and shown by the CLI and API. */
export interface ErrorInfo {
  code: string;
  message: string;
  /** Whether an automatic retry may help. */
  retryable?: boolean;
  /** Extra structured facts: ids, validation issues, the offending path. */
  details?: unknown;
}

/** Options shared by every {@link BatonError}. */
export interface BatonErrorOptions {
  /** The sentence that tells the reader what to do next. */
  hint?: string;
  /** Structured facts: ids involved, validation issues. */
  details?: unknown;
  cause?: unknown;
}

/**
 * The base of every error Baton raises on purpose.
 * @example
 * throw new BatonError('RUN_NOT_FOUND', `run ${id} does not exist`, { hint: 'List runs with `baton runs list`.' });
 */
export class BatonError extends Error {
  override readonly name: string = 'BatonError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: BatonErrorOptions = {}) {
    super(options.hint ? `${message}. ${options.hint}` : message, { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  /** The serializable form, for history, the CLI's `--json` output and the API. */
  toInfo(): ErrorInfo {
    return {
      code: this.code,
      message: this.message,
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** Thrown by user code to fail a step at once, without retries. */
export class NonRetryableError extends Error {
  override readonly name = 'NonRetryableError';
  /** A code for the failure; defaults to `STEP_FAILED`. */
  readonly code: string;
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = options.code ?? 'STEP_FAILED';
  }
}

/** Thrown by user code to ask for a retry no earlier than `retryAfterMs` from now (a 429's `Retry-After`). */
export class RetryAfterError extends Error {
  override readonly name = 'RetryAfterError';
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.retryAfterMs = retryAfterMs;
  }
}

/** Turns anything thrown by a step body into the stored {@link ErrorInfo}. */
export function toErrorInfo(err: unknown): ErrorInfo & { retryAfterMs?: number } {
  // Matched by name as well as class: user code may load another copy of Baton (src next to dist).
  if (isBatonError(err)) {
    return { ...err.toInfo(), retryable: RETRYABLE_CODES.has(err.code) };
  }
  if (err instanceof NonRetryableError || (err instanceof Error && err.name === 'NonRetryableError')) {
    const code = (err as NonRetryableError).code;
    return { code: typeof code === 'string' ? code : 'STEP_FAILED', message: err.message, retryable: false };
  }
  if (err instanceof RetryAfterError || (err instanceof Error && err.name === 'RetryAfterError')) {
    const after = Number((err as RetryAfterError).retryAfterMs);
    return {
      code: 'STEP_FAILED',
      message: err.message,
      retryable: true,
      ...(Number.isFinite(after) ? { retryAfterMs: after } : {}),
    };
  }
  if (err instanceof Error) {
    const raw = (err as Error & { code?: unknown }).code;
    const code = typeof raw === 'string' ? raw : 'STEP_FAILED';
    return { code, message: err.message, retryable: true };
  }
  return { code: 'STEP_FAILED', message: String(err), retryable: true };
}

const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set([
  'STEP_TIMEOUT',
  'STORE_UNAVAILABLE',
  'MCP_UNAVAILABLE',
  'INTERNAL',
]);

/** True for a {@link BatonError}, including ones from another copy of the package. */
export function isBatonError(err: unknown): err is BatonError {
  return (
    err instanceof BatonError ||
    (err instanceof Error &&
      err.name === 'BatonError' &&
      'code' in err &&
      typeof (err as BatonError).toInfo === 'function')
  );
}
