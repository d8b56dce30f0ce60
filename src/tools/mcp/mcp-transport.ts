/**
 * The two transports Baton speaks to MCP servers with, described as plain data (so they can come
 * from a config file) and built into the SDK's client transports.
 * @module
 */

import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { Agent, Headers, type RequestInit as UndiciRequestInit, fetch as undiciFetch } from 'undici';
import { currentTraceparent } from '../../telemetry/context-keys.js';

/** A server Baton starts as a child process and talks to over stdin/stdout. */
export interface McpStdioTransportOptions {
  kind: 'stdio';
  /** The executable, e.g. `npx` or `process.execPath`. */
  command: string;
  args?: string[];
  /**
   * Added to the SDK's safe default environment (`HOME`, `PATH`, …); the rest of Baton's environment
   * (API keys) is deliberately not passed on.
   */
  env?: Record<string, string>;
  cwd?: string;
  /** Where the server's stderr goes. @defaultValue 'inherit' */
  stderr?: 'inherit' | 'ignore';
}

/** A remote server spoken to over Streamable HTTP. */
export interface McpHttpTransportOptions {
  kind: 'http';
  /** The server's MCP endpoint, e.g. `https://example.com/mcp`. */
  url: string | URL;
  /** Sent with every request, e.g. `{ authorization: 'Bearer …' }`. */
  headers?: Record<string, string>;
}

/** How to reach an MCP server. */
export type McpTransportOptions = McpStdioTransportOptions | McpHttpTransportOptions;

/** A transport for one connection attempt, and how to free what it holds once the client is closed. */
export interface OpenedTransport {
  transport: Transport;
  release(): Promise<void>;
}

/** A fresh SDK transport for one connection attempt (SDK transports cannot be restarted). */
export function createTransport(options: McpTransportOptions): OpenedTransport {
  if (options.kind === 'stdio') {
    const transport = new StdioClientTransport({
      command: options.command,
      ...(options.args ? { args: options.args } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stderr: options.stderr ?? 'inherit',
    });
    return { transport, release: async () => {} };
  }
  // Our own connection pool, so that closing the source closes its sockets instead of leaving
  // keep-alive connections in the process-wide one.
  const agent = new Agent();
  const fetchLike: FetchLike = (url, init) =>
    // The SDK is typed against the DOM's fetch, undici against its own identical web types.
    undiciFetch(url, {
      ...withTraceparentInit(init as UndiciRequestInit),
      dispatcher: agent,
    }) as unknown as Promise<Response>;
  const transport = new StreamableHTTPClientTransport(new URL(options.url), {
    fetch: fetchLike,
    ...(options.headers ? { requestInit: { headers: options.headers } } : {}),
  });
  return { transport, release: () => agent.destroy() };
}

/** `init` with the current step's `traceparent` header, or `init` itself outside a traced step. */
function withTraceparentInit(init: UndiciRequestInit | undefined): UndiciRequestInit | undefined {
  const traceparent = currentTraceparent();
  if (traceparent === undefined) return init;
  const headers = new Headers(init?.headers);
  headers.set('traceparent', traceparent);
  return { ...init, headers };
}

/** The process id of a stdio transport's server, if it has one running. */
export function transportPid(transport: Transport | undefined): number | undefined {
  return transport instanceof StdioClientTransport ? (transport.pid ?? undefined) : undefined;
}

/** Asks a Streamable HTTP server to drop our session (best effort, bounded by `timeoutMs`). */
export async function endSession(transport: Transport | undefined, timeoutMs: number): Promise<void> {
  if (!(transport instanceof StreamableHTTPClientTransport) || transport.sessionId === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    transport.terminateSession().catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}
