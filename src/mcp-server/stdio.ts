/**
 * Baton's MCP server over stdio, for hosts that start it as a child process (Claude Desktop, IDEs).
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Baton } from '../runtime/baton.js';
import type { McpIdentity } from './access.js';
import { type BatonMcpServer, type BatonMcpServerOptions, createBatonMcpServer } from './baton-mcp-server.js';

/** Options of {@link serveMcpStdio}. */
export type McpStdioOptions = Omit<BatonMcpServerOptions, 'identity' | 'authenticate'> & {
  /** @defaultValue process.stdin */
  stdin?: Readable;
  /** Only JSON-RPC may be written here. @defaultValue process.stdout */
  stdout?: Writable;
  /**
   * How often to look for workflows registered by other processes, announcing them with
   * `notifications/tools/list_changed` (a `tools/list` always looks). 0 turns it off. @defaultValue 5000
   */
  refreshMs?: number;
};

/** A running stdio server. */
export interface McpStdioSession {
  server: BatonMcpServer;
  /** Resolves when the host closes stdin or {@link McpStdioSession.close} is called. */
  closed: Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves Baton over stdio as `identity` until stdin ends. Nothing else of the process may write to
 * stdout meanwhile (the `baton mcp` command sends stray writes to stderr).
 * @example
 * const session = await serveMcpStdio(baton, { subject: 'desktop', tenant: 'default', roles: ['operator'] });
 * await session.closed;
 */
export async function serveMcpStdio(
  baton: Baton,
  identity: McpIdentity,
  options: McpStdioOptions = {},
): Promise<McpStdioSession> {
  const { stdin = process.stdin, stdout = process.stdout, refreshMs = 5000, ...rest } = options;
  const server = await createBatonMcpServer(baton, { ...rest, identity });
  const transport = new StdioServerTransport(stdin, stdout);
  let timer: NodeJS.Timeout | undefined;
  let finish = () => {};
  const closed = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const onEnd = () => {
    void close();
  };
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(timer);
      stdin.off('end', onEnd);
      await server.close();
      finish();
    })();
    return closing;
  };
  await server.connect(transport);
  // The SDK's transport does not notice the end of stdin; the host closing it means goodbye.
  stdin.once('end', onEnd);
  if (refreshMs > 0) {
    timer = setInterval(() => {
      server
        .refreshTools()
        .catch((err) => process.emitWarning(`MCP tool refresh failed: ${(err as Error).message}`));
    }, refreshMs);
    timer.unref();
  }
  return { server, closed, close };
}
