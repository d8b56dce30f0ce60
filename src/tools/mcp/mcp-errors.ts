/**
 * How failures of the MCP SDK become Baton errors, and how a `tools/call` result becomes the value a
 * tool returns. Kept apart from the source so the rules can be read (and changed) in one place.
 * @module
 */

import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, ErrorCode as McpErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { BatonError } from '../../core/errors.js';

/**
 * What a failed request means for the connection:
 * - `not-sent`: the server never saw it (refused connection, unknown session), so sending it again
 *   after a reconnect cannot run the tool twice;
 * - `lost`: the connection broke while the request was out, so the tool may or may not have run;
 * - `timeout`: no answer in time (the SDK has already sent `notifications/cancelled`);
 * - `protocol`: the server answered with a JSON-RPC error (unknown tool, invalid arguments);
 * - `other`: anything else (an HTTP status, a local bug).
 */
export type McpFailure = 'not-sent' | 'lost' | 'timeout' | 'protocol' | 'other';

// Errors that mean the TCP connection was never made, so no request reached the server.
const NOT_CONNECTED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Classifies an error thrown by the SDK's `Client` for a request. */
export function classifyMcpFailure(err: unknown): McpFailure {
  if (err instanceof McpError) {
    if (err.code === McpErrorCode.ConnectionClosed) return 'lost';
    if (err.code === McpErrorCode.RequestTimeout) return 'timeout';
    return 'protocol';
  }
  // A stateful server that restarted no longer knows our session and answers 404 without running anything.
  if (err instanceof StreamableHTTPError) return err.code === 404 ? 'not-sent' : 'other';
  if (err instanceof Error) {
    if (err.message === 'Not connected') return 'not-sent';
    const code = errorCode(err.cause) ?? errorCode(err);
    if (code !== undefined && NOT_CONNECTED_CODES.has(code)) return 'not-sent';
    // undici's fetch rejects with a bare TypeError('fetch failed') for every network failure.
    if (err instanceof TypeError && err.message === 'fetch failed') return 'lost';
    if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return 'lost';
  }
  return 'other';
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The `MCP_UNAVAILABLE` error (retryable) for a server that cannot be reached or did not answer. */
export function mcpUnavailable(
  server: string,
  message: string,
  options: { tool?: string; reason: string; cause?: unknown },
): BatonError {
  return new BatonError('MCP_UNAVAILABLE', message, {
    hint: `Check that MCP server "${server}" is running; Baton reconnects on its own and the call may be retried`,
    details: { server, ...(options.tool ? { tool: options.tool } : {}), reason: options.reason },
    cause: options.cause,
  });
}

/**
 * The `MCP_TOOL_ERROR` for a failure the server reported. Its message is exactly the server's text
 * (no hint appended), because the registry hands it back to the model.
 */
export function mcpToolError(server: string, tool: string, message: string, cause?: unknown): BatonError {
  return new BatonError('MCP_TOOL_ERROR', message, { details: { server, tool }, cause });
}

/** A content part of a `tools/call` result, narrowed to what we read. */
interface ContentPart {
  type: string;
  text?: string;
}

/** The result of `tools/call`, narrowed to what we read. */
export interface McpCallResult {
  content?: ContentPart[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  /** The pre-2025 result shape, which some old servers still send. */
  toolResult?: unknown;
}

/** The text parts of a result, joined by newlines. */
export function resultText(result: McpCallResult): string {
  return (result.content ?? [])
    .filter((part) => part.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text)
    .join('\n');
}

/**
 * The value a successful call returns: `structuredContent` when the server sent it, else the text
 * parts joined by newlines, else (images, resources only) the raw `content` array.
 */
export function resultValue(result: McpCallResult): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  if (result.content === undefined && result.toolResult !== undefined) return result.toolResult;
  const content = result.content ?? [];
  if (content.length === 0 || content.some((part) => part.type === 'text')) return resultText(result);
  return content;
}
