/**
 * Types the AI SDK's failures as {@link ProviderError}s, so the router can tell a retryable outage
 * from a request that is wrong everywhere.
 *
 * | Failure | Code |
 * | --- | --- |
 * | `APICallError` with an error status | by status and message (`providerErrorFromStatus`) |
 * | Gemini 400 with reason `API_KEY_INVALID` | `PROVIDER_AUTH` |
 * | `APICallError` with a 2xx status (unparsable body), or wrapping a parse error | `PROVIDER_BAD_RESPONSE` |
 * | `APICallError` without a status (connect failed) | `PROVIDER_CONNECTION` |
 * | `JSONParseError`, `TypeValidationError`, invalid or empty response | `PROVIDER_BAD_RESPONSE` |
 * | Anthropic stream `error` event (`overloaded_error`, `rate_limit_error`, …) | by its type |
 * | Prompt or feature the SDK cannot express for the vendor | `PROVIDER_REJECTED` |
 * | Aborted by a timeout signal | `PROVIDER_TIMEOUT` |
 * | Aborted for another reason (client gone) | `PROVIDER_CONNECTION` |
 * | Connection lost after the stream yielded output | `STREAM_INTERRUPTED` |
 * @module
 */
import {
  APICallError,
  EmptyResponseBodyError,
  InvalidArgumentError,
  InvalidPromptError,
  InvalidResponseDataError,
  JSONParseError,
  NoContentGeneratedError,
  TypeValidationError,
  UnsupportedFunctionalityError,
} from '@ai-sdk/provider';
import { ProviderError, providerErrorFromException, providerErrorFromStatus } from '../../errors.js';

/** Where a failure happened. */
export interface FailureContext {
  /** `provider/model`. */
  target: string;
  /** The call's signal: when it is aborted, its reason explains the failure. */
  signal: AbortSignal;
  /** True once a stream has yielded output to the caller: a retry would then repeat it. */
  streamed?: boolean;
}

/** Converts anything thrown by (or streamed as an error from) an AI SDK model to a {@link ProviderError}. */
export function toProviderError(err: unknown, context: FailureContext): ProviderError {
  if (err instanceof ProviderError) return err;
  const { target, signal } = context;
  if (signal.aborted) return abortError(signal.reason ?? err, target);

  if (APICallError.isInstance(err)) {
    const status = err.statusCode;
    if (status === undefined) return lostConnection(err.cause ?? err, context);
    if (status >= 200 && status < 300) {
      if (isNetworkFailure(err.cause)) return lostConnection(err.cause, context);
      return badResponse(`${target} sent a malformed answer: ${err.message}`, target, err, status);
    }
    if (isSynthesizedParseFailure(err))
      return badResponse(`${target} sent a malformed answer: ${err.message}`, target, err);
    // Gemini answers a wrong API key with 400 INVALID_ARGUMENT, not 401.
    if (status === 400 && err.responseBody?.includes('API_KEY_INVALID')) {
      return new ProviderError('PROVIDER_AUTH', `${target} answered ${status}: ${err.message}`, {
        target,
        status,
        cause: err,
        hint: "Check the provider's API key in the gateway config",
      });
    }
    return providerErrorFromStatus(status, err.message, {
      target,
      headers: (name) => err.responseHeaders?.[name],
      cause: err,
    });
  }

  if (
    JSONParseError.isInstance(err) ||
    TypeValidationError.isInstance(err) ||
    InvalidResponseDataError.isInstance(err) ||
    EmptyResponseBodyError.isInstance(err) ||
    NoContentGeneratedError.isInstance(err)
  ) {
    return badResponse(`${target} sent a malformed answer: ${err.message}`, target, err);
  }
  if (
    UnsupportedFunctionalityError.isInstance(err) ||
    InvalidPromptError.isInstance(err) ||
    InvalidArgumentError.isInstance(err)
  ) {
    return new ProviderError('PROVIDER_REJECTED', `${target} cannot take this request: ${err.message}`, {
      target,
      cause: err,
      hint: 'The request uses a feature this provider lacks; change the request or route it elsewhere',
    });
  }

  const streamError = vendorStreamError(err, target);
  if (streamError) return streamError;
  if (isNetworkFailure(err)) return lostConnection(err, context);
  return providerErrorFromException(err, target);
}

function abortError(reason: unknown, target: string): ProviderError {
  const name = (reason as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError') return providerErrorFromException(reason, target);
  const why = reason instanceof Error ? reason.message : String(reason);
  return new ProviderError(
    'PROVIDER_CONNECTION',
    `${target}: the call was aborted before it finished (${why})`,
    {
      target,
      cause: reason,
      hint: 'The caller went away or cancelled the call; nothing to fix upstream',
    },
  );
}

function lostConnection(cause: unknown, context: FailureContext): ProviderError {
  if (!context.streamed) return providerErrorFromException(cause, context.target);
  const message = cause instanceof Error ? cause.message : String(cause);
  return new ProviderError(
    'STREAM_INTERRUPTED',
    `${context.target} cut the stream after part of the answer was sent: ${message}`,
    { target: context.target, cause, hint: 'Ask again; the partial answer is incomplete' },
  );
}

function badResponse(message: string, target: string, cause: unknown, status?: number): ProviderError {
  return new ProviderError('PROVIDER_BAD_RESPONSE', message, {
    target,
    cause,
    ...(status === undefined ? {} : { status }),
    hint: 'The upstream answered something that is not its protocol; check the base URL or retry',
  });
}

/**
 * Anthropic's `doStream` turns an error in the first streamed part into an `APICallError` with a
 * made-up status (500); when that part was a parse failure, its body is the serialized SDK error.
 */
function isSynthesizedParseFailure(err: APICallError): boolean {
  try {
    const body = JSON.parse(err.responseBody ?? '') as { name?: unknown } | null;
    return typeof body?.name === 'string' && /^AI_(JSONParse|TypeValidation)Error$/.test(body.name);
  } catch {
    return false;
  }
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ConnectionRefused',
]);

/** undici reports a cut body as `TypeError: terminated` with the socket error as its cause. */
function isNetworkFailure(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 4) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (err instanceof TypeError && /^(terminated|fetch failed|failed to fetch)$/i.test(err.message))
    return true;
  return isNetworkFailure(err.cause, depth + 1);
}

const STREAM_ERROR_STATUS: Record<string, number> = {
  overloaded_error: 529,
  api_error: 500,
  rate_limit_error: 429,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  invalid_request_error: 400,
};

/** Anthropic streams `event: error` with `{ type: 'overloaded_error', message }`; the SDK forwards the object. */
function vendorStreamError(err: unknown, target: string): ProviderError | undefined {
  if (err === null || typeof err !== 'object' || err instanceof Error) return undefined;
  const { type, message } = err as { type?: unknown; message?: unknown };
  if (typeof type !== 'string') return undefined;
  const status = STREAM_ERROR_STATUS[type];
  const text = typeof message === 'string' ? message : type;
  if (status === undefined) return badResponse(`${target} streamed an error: ${text}`, target, err);
  return providerErrorFromStatus(status, text, { target, cause: err });
}
