/**
 * Baton's MCP server over Streamable HTTP, stateless: every POST is authenticated from its
 * `Authorization: Bearer` token and answered by a server built for that caller, so a caller's
 * identity and tool list are never carried over from an earlier request, and any instance behind a
 * load balancer can answer. There are no sessions and no server-sent streams (GET answers 405).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Baton } from '../runtime/baton.js';
import { checkIdentity, type McpIdentity } from './access.js';
import { type Authenticate, type BatonMcpServerOptions, createBatonMcpServer } from './baton-mcp-server.js';

/** Options of {@link mcpHttpHandler}. */
export type McpHttpOptions = Omit<BatonMcpServerOptions, 'identity' | 'authenticate'> & {
  /** The caller of a request from its bearer token; undefined answers 401. */
  authenticate: Authenticate;
};

/**
 * A fetch-style handler (`Request` in, `Response` out) serving MCP over Streamable HTTP.
 * @example
 * const mcp = mcpHttpHandler(baton, { authenticate: (token) => tokens.get(token ?? '') });
 * app.post('/mcp', (c) => mcp(c.req.raw));            // a Hono route
 * serve({ fetch: mcp, port: 8788 });                   // @hono/node-server, every path
 */
export function mcpHttpHandler(
  baton: Baton,
  options: McpHttpOptions,
): (request: Request) => Promise<Response> {
  const { authenticate, ...rest } = options;
  return async (request) => {
    if (request.method !== 'POST') {
      return rpcError(
        405,
        -32000,
        'Method not allowed: this MCP server is stateless; POST JSON-RPC requests',
        {
          allow: 'POST',
        },
      );
    }
    const token = bearerToken(request.headers.get('authorization'));
    let identity: McpIdentity | undefined;
    try {
      identity = await authenticate(token);
      if (identity) checkIdentity(identity);
    } catch (err) {
      return rpcError(500, -32603, `authentication failed: ${(err as Error).message ?? String(err)}`);
    }
    if (!identity) {
      return rpcError(401, -32001, 'Unauthorized: send Authorization: Bearer <token>', {
        'www-authenticate': 'Bearer',
      });
    }
    try {
      const server = await createBatonMcpServer(baton, { ...rest, identity });
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      try {
        await server.connect(transport);
        return await transport.handleRequest(request, {
          authInfo: { token: token ?? '', clientId: identity.subject, scopes: identity.roles },
        });
      } finally {
        // The JSON response is complete once handleRequest resolves: nothing is left to send.
        await server.close();
      }
    } catch (err) {
      return rpcError(500, -32603, `internal error: ${(err as Error).message ?? String(err)}`);
    }
  };
}

/** {@link mcpHttpHandler} as a `node:http` request listener. */
export function mcpNodeHandler(
  baton: Baton,
  options: McpHttpOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return getRequestListener(mcpHttpHandler(baton, options));
}

function bearerToken(header: string | null): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

function rpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}
