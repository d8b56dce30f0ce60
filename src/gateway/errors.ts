/**
 * The gateway's errors: what went wrong with a provider (typed by cause, so the router knows
 * whether a retry or a fallback may help) and how every gateway error looks on the wire (the
 * OpenAI error format, with Baton's code in `code`). Statuses are mapped here and nowhere else.
 * @module
 */
import { BatonError, type BatonErrorOptions, type ErrorCode } from '../core/errors.js';

/** Codes a provider call can fail with. */
export type ProviderErrorCode =
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
  | 'CASSETTE_MISS'
  /** The caller went away (or aborted): neither retried nor counted against the target. */
  | 'REQUEST_CANCELLED';

/** Provider failures a retry (after backoff) may cure. Never 400, 401, 403, 404 or context length. */
const RETRYABLE: ReadonlySet<ProviderErrorCode> = new Set([
  'PROVIDER_RATE_LIMITED',
  'PROVIDER_UNAVAILABLE',
  'PROVIDER_TIMEOUT',
  'PROVIDER_CONNECTION',
  'PROVIDER_BAD_RESPONSE',
]);

/** Provider failures after which the next target of a route is tried. A bad request is bad everywhere. */
const FALLBACK: ReadonlySet<ProviderErrorCode> = new Set([
  ...RETRYABLE,
  'PROVIDER_AUTH',
  'PROVIDER_NOT_FOUND',
  'CONTEXT_LENGTH_EXCEEDED',
  'CIRCUIT_OPEN',
  'CASSETTE_MISS',
]);

/** Facts a provider error carries besides its code. */
export interface ProviderErrorOptions extends BatonErrorOptions {
  /** The target that failed, `provider/model`. */
  target?: string;
  /** The upstream HTTP status, when there was one. */
  status?: number;
  /** The upstream's `Retry-After`, in milliseconds. */
  retryAfterMs?: number;
}

/** A provider call failed. `retryable` and `fallback` say what the router may do about it. */
export class ProviderError extends BatonError {
  override readonly name = 'ProviderError';
  declare readonly code: ProviderErrorCode;
  readonly target: string | undefined;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: ProviderErrorCode, message: string, options: ProviderErrorOptions = {}) {
    super(code, message, {
      ...options,
      details: { target: options.target, status: options.status, ...asObject(options.details) },
    });
    this.target = options.target;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** Whether retrying the same target may help. */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }

  /** Whether the route's next target may succeed where this one failed. */
  get fallback(): boolean {
    return FALLBACK.has(this.code);
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

const CONTEXT_LENGTH_RE =
  /context[_ ]length|context window|maximum context|too many tokens|prompt is too long|input is too long|exceeds the maximum/i;

/**
 * Types an upstream HTTP error by status and body. A 400 whose message speaks of the context
 * window is `CONTEXT_LENGTH_EXCEEDED`, as providers signal it with a plain 400.
 */
export function providerErrorFromStatus(
  status: number,
  message: string,
  options: { target?: string; headers?: (name: string) => string | undefined; cause?: unknown } = {},
): ProviderError {
  const retryAfterMs = options.headers ? retryAfterOf(options.headers) : undefined;
  const base = {
    target: options.target,
    status,
    cause: options.cause,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
  const where = options.target ? `${options.target} answered ${status}` : `upstream answered ${status}`;
  const text = `${where}: ${message}`;
  if (status === 429)
    return new ProviderError('PROVIDER_RATE_LIMITED', text, {
      ...base,
      hint: 'The gateway retries after Retry-After and falls back; raise the provider quota if this persists',
    });
  if (status === 408) return new ProviderError('PROVIDER_TIMEOUT', text, base);
  if (status >= 500) return new ProviderError('PROVIDER_UNAVAILABLE', text, base);
  if (status === 401 || status === 403)
    return new ProviderError('PROVIDER_AUTH', text, {
      ...base,
      hint: "Check the provider's API key in the gateway config",
    });
  if (status === 404)
    return new ProviderError('PROVIDER_NOT_FOUND', text, {
      ...base,
      hint: 'Check the upstream model name and the base URL of the target',
    });
  if (CONTEXT_LENGTH_RE.test(message) || status === 413)
    return new ProviderError('CONTEXT_LENGTH_EXCEEDED', text, {
      ...base,
      hint: 'Shorten the conversation or route to a model with a larger context window',
    });
  return new ProviderError('PROVIDER_REJECTED', text, {
    ...base,
    hint: 'The request is invalid for this provider; fix it rather than retrying',
  });
}

/**
 * When an upstream asks to be retried, in milliseconds: `retry-after-ms` (OpenAI's, the more
 * precise) when present, else `Retry-After`.
 */
export function retryAfterOf(header: (name: string) => string | undefined): number | undefined {
  const raw = header('retry-after-ms');
  const ms = raw ? Number(raw) : Number.NaN;
  return Number.isFinite(ms) ? Math.max(0, ms) : parseRetryAfter(header('retry-after'));
}

/** Parses `Retry-After` (seconds or an HTTP date) to milliseconds. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Types a failure that never got an HTTP status: timeouts and connection errors. */
export function providerErrorFromException(
  err: unknown,
  target: string | undefined,
  timeoutMs?: number,
): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { name?: string; code?: string; message?: string };
  if (
    e?.name === 'TimeoutError' ||
    e?.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    e?.code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return new ProviderError(
      'PROVIDER_TIMEOUT',
      `${target ?? 'upstream'} did not answer within ${timeoutMs ?? '?'} ms`,
      {
        target,
        cause: err,
        hint: "Raise the target's timeoutMs if the model is slow, or route to a faster one",
      },
    );
  }
  if (e?.name === 'SyntaxError') {
    return new ProviderError(
      'PROVIDER_BAD_RESPONSE',
      `${target ?? 'upstream'} sent a malformed answer: ${e.message}`,
      { target, cause: err },
    );
  }
  return new ProviderError(
    'PROVIDER_CONNECTION',
    `${target ?? 'upstream'} could not be reached: ${e?.message ?? String(err)}`,
    { target, cause: err, hint: "Check the target's base URL and that the server is up" },
  );
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  INVALID_REQUEST: 400,
  // The HTTP API's codes (src/server/app): one table for the gateway and the API.
  INVALID_ARGUMENT: 400,
  INVALID_SPEC: 422,
  INVALID_INPUT: 422,
  FUNCTION_NOT_REGISTERED: 422,
  UNKNOWN_STEP_KIND: 422,
  EXPRESSION_FAILED: 422,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  WORKFLOW_NOT_FOUND: 404,
  VERSION_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  STEP_NOT_FOUND: 404,
  APPROVAL_NOT_FOUND: 404,
  WEBHOOK_NOT_FOUND: 404,
  DELIVERY_NOT_FOUND: 404,
  TRIGGER_NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  GATEWAY_NOT_CONFIGURED: 404,
  IDEMPOTENCY_CONFLICT: 409,
  RUN_NOT_WAITING: 409,
  RUN_ALREADY_FINISHED: 409,
  WORKFLOW_CODE_MISSING: 409,
  FORK_EFFECTS_REFUSED: 409,
  REPLAY_NO_RECORDING: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RUN_TIMEOUT: 504,
  PAYLOAD_TOO_LARGE: 413,
  PII_BLOCKED: 400,
  CONTEXT_LENGTH_EXCEEDED: 400,
  PROVIDER_REJECTED: 400,
  KEY_INVALID: 401,
  MODEL_NOT_ALLOWED: 403,
  ROUTE_NOT_FOUND: 404,
  BUDGET_EXCEEDED: 402,
  RATE_LIMITED: 429,
  PROVIDER_RATE_LIMITED: 429,
  PROVIDER_AUTH: 502,
  PROVIDER_NOT_FOUND: 502,
  PROVIDER_UNAVAILABLE: 502,
  PROVIDER_CONNECTION: 502,
  PROVIDER_BAD_RESPONSE: 502,
  CASSETTE_MISS: 502,
  STREAM_INTERRUPTED: 502,
  CIRCUIT_OPEN: 503,
  STORE_UNAVAILABLE: 503,
  // nginx's "client closed request": nobody reads it, but the log and metrics see it apart from errors.
  REQUEST_CANCELLED: 499,
  PROVIDER_TIMEOUT: 504,
};

/** The HTTP status the gateway answers a code with. */
export function httpStatusOf(code: string): number {
  return STATUS[code as ErrorCode] ?? 500;
}

const OPENAI_TYPE: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'insufficient_quota',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
};

/** The OpenAI error body for any error; unknown errors become `INTERNAL` without leaking their message. */
export function openAIErrorBody(err: unknown): {
  status: number;
  body: { error: { message: string; type: string; param: string | null; code: string; details?: unknown } };
} {
  if (err instanceof BatonError) {
    const status = httpStatusOf(err.code);
    return {
      status,
      body: {
        error: {
          message: err.message,
          type: OPENAI_TYPE[status] ?? 'api_error',
          param: null,
          code: err.code,
          ...(err.details === undefined ? {} : { details: err.details }),
        },
      },
    };
  }
  return {
    status: 500,
    body: {
      error: {
        message: 'internal gateway error; see the gateway log',
        type: 'api_error',
        param: null,
        code: 'INTERNAL',
      },
    },
  };
}

/** A gateway policy refused the request (key, model, budget, rate limit, request shape). */
export class GatewayError extends BatonError {
  override readonly name = 'GatewayError';
  /** For `RATE_LIMITED`: when to try again, in milliseconds. */
  readonly retryAfterMs: number | undefined;
  constructor(code: ErrorCode, message: string, options: BatonErrorOptions & { retryAfterMs?: number } = {}) {
    super(code, message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}
