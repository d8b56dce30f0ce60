/**
 * How every API error looks on the wire: `{ "error": { "code", "message", "details" } }`. Statuses
 * come from the one code-to-status table (`gateway/errors.ts`); request validation failures are 400
 * `INVALID_REQUEST` with the offending paths; anything unexpected is 500 `INTERNAL`, logged, and
 * never shown.
 * @module
 */
import type { Hook } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { type ErrorCode, isBatonError } from '../../core/errors.js';
import { httpStatusOf } from '../../gateway/errors.js';
import type { ApiEnv } from './env.js';

/** The error body of every API error. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Reports an unexpected error (a 500); by default to stderr. Never receives request secrets. */
export type ErrorLogger = (err: unknown, where: { method: string; path: string }) => void;

const HTTP_EXCEPTION_CODES: Record<number, ErrorCode> = {
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/** The status and body for any error thrown while handling a request. */
export function toErrorResponse(err: unknown): { status: ContentfulStatusCode; body: ApiErrorBody } {
  if (isBatonError(err)) {
    const details = err.details === undefined ? {} : { details: err.details };
    return {
      status: httpStatusOf(err.code) as ContentfulStatusCode,
      body: { error: { code: err.code, message: err.message, ...details } },
    };
  }
  // Hono's own refusals (malformed JSON, unsupported media type) are client errors.
  if (err instanceof HTTPException && err.status < 500) {
    const status = err.status as ContentfulStatusCode;
    return {
      status,
      body: { error: { code: HTTP_EXCEPTION_CODES[status] ?? 'INVALID_REQUEST', message: err.message } },
    };
  }
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: 'internal server error; see the server log' } },
  };
}

/** Sends the error response for `err`, logging it first when it is unexpected. */
export function errorResponse(c: Context, err: unknown, log: ErrorLogger): Response {
  const { status, body } = toErrorResponse(err);
  if (status >= 500 && status !== 503) log(err, { method: c.req.method, path: c.req.path });
  return c.json(body, status);
}

/** The issues of a failed validation, with dotted paths. */
export function validationIssues(error: ZodError): { path: string; code: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    code: issue.code,
    message: issue.message,
  }));
}

/** `defaultHook` of the app: a request that fails its schema is a 400 listing every issue. */
export const validationHook: Hook<unknown, ApiEnv, string, Response | undefined> = (result, c) => {
  if (result.success) return undefined;
  const where = result.target === 'json' ? 'body' : result.target;
  return c.json(
    {
      error: {
        code: 'INVALID_REQUEST',
        message: `the request ${where} is invalid: ${result.error.issues[0]?.message ?? 'see details.issues'}`,
        details: { target: where, issues: validationIssues(result.error) },
      },
    } satisfies ApiErrorBody,
    400,
  );
};

/** Default {@link ErrorLogger}: one line to stderr with the stack. */
export const logToStderr: ErrorLogger = (err, where) => {
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`baton api: ${where.method} ${where.path} failed: ${text}\n`);
};
