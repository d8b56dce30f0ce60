/**
 * What Baton's MCP tools answer: a JSON value as text (and as `structuredContent` when it is an
 * object), or an error as `{"error":{code,message,hint,details}}` with `isError: true`. A failing
 * tool never throws into the SDK, so a caller's mistake never ends its session.
 * @module
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { BatonError, isBatonError } from '../core/errors.js';
import type { McpIdentity, ToolAccess } from './access.js';
import { rolesFor } from './access.js';

/** The error a tool reports. `code` is a Baton error code, or `FORBIDDEN` / `UNAUTHENTICATED`. */
export interface ToolErrorBody {
  code: string;
  message: string;
  hint?: string;
  details?: unknown;
}

/** A successful result carrying `value` as JSON. */
export function toolValue(value: unknown): CallToolResult {
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  return {
    content: [{ type: 'text', text: JSON.stringify(value) }],
    ...(isObject ? { structuredContent: value as Record<string, unknown> } : {}),
  };
}

/** A tool error result. */
export function toolError(body: ToolErrorBody): CallToolResult {
  const error = {
    code: body.code,
    message: body.message,
    ...(body.hint === undefined ? {} : { hint: body.hint }),
    ...(body.details === undefined ? {} : { details: body.details }),
  };
  return {
    content: [{ type: 'text', text: JSON.stringify({ error }) }],
    structuredContent: { error },
    isError: true,
  };
}

/**
 * Any failure as a tool error: a {@link BatonError} keeps its code, message, hint and details; anything
 * else is `INTERNAL` (its message only: a stack never leaves the process).
 */
export function failureResult(err: unknown): CallToolResult {
  if (isBatonError(err)) {
    return toolError({
      code: err.code,
      // BatonError appends the hint to the message; the tool result carries it on its own.
      message:
        err.hint && err.message.endsWith(`. ${err.hint}`)
          ? err.message.slice(0, -err.hint.length - 2)
          : err.message,
      ...(err.hint === undefined ? {} : { hint: err.hint }),
      ...(err.details === undefined ? {} : { details: err.details }),
    });
  }
  return toolError({
    code: 'INTERNAL',
    message: err instanceof Error ? err.message : String(err),
    hint: 'This is a bug or an outage of the Baton server; see its logs',
  });
}

/** The result of calling a tool the caller's roles do not allow. */
export function forbidden(tool: string, access: ToolAccess, identity: McpIdentity): CallToolResult {
  return toolError({
    code: 'FORBIDDEN',
    message: `${identity.subject} may not call ${tool}`,
    hint: `It needs one of the roles ${rolesFor(access).join(', ')}; ${identity.subject} has ${identity.roles.join(', ') || 'none'}`,
  });
}

/** The result of a call with no valid credentials. */
export function unauthenticated(): CallToolResult {
  return toolError({
    code: 'UNAUTHENTICATED',
    message: 'the request carries no valid credentials',
    hint: 'Send an Authorization: Bearer token that the server accepts',
  });
}

/**
 * Parses tool arguments with `schema`.
 * @throws BatonError `INVALID_ARGUMENT` listing every issue by path.
 */
export function parseArguments<T extends z.ZodType>(tool: string, schema: T, args: unknown): z.output<T> {
  const parsed = schema.safeParse(args ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new BatonError(
    'INVALID_ARGUMENT',
    `invalid arguments for ${tool}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
    { hint: "Fix the arguments listed in details.issues (see the tool's inputSchema)", details: { issues } },
  );
}
