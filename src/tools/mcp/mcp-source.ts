/**
 * Baton as an MCP client: one {@link McpToolSource} per server. It connects over stdio or
 * Streamable HTTP with the official SDK, lists the server's tools as Baton {@link Tool}s named
 * `server.tool`, and reconnects with backoff when the server goes away, so the tools handed out
 * once keep working across server restarts.
 * @module
 */

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type Tool as McpTool, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { BatonError } from '../../core/errors.js';
import type { Tool, ToolCallContext } from '../tool.js';
import {
  classifyMcpFailure,
  type McpCallResult,
  mcpToolError,
  mcpUnavailable,
  resultText,
  resultValue,
} from './mcp-errors.js';
import { assertServerName, namespacedToolName } from './mcp-naming.js';
import { createTransport, endSession, type McpTransportOptions, transportPid } from './mcp-transport.js';
import { deferred, waitUntil } from './wait.js';

/** Options of {@link connectMcp}. */
export interface McpServerOptions {
  /** The server's name in Baton: the prefix of its tools (`name.tool`). 1–64 of `[A-Za-z0-9_-]`. */
  name: string;
  transport: McpTransportOptions;
  /**
   * Per call, including any wait for a reconnect; also bounds connecting and listing tools.
   * @defaultValue 30_000
   */
  timeoutMs?: number;
  /** Delay before reconnect attempt n: `min(maxMs, baseMs * 2^n)`, with jitter. @defaultValue { baseMs: 100, maxMs: 5_000 } */
  reconnect?: { baseMs: number; maxMs: number };
  /** Told about renamed or skipped tools and failed reconnects. @defaultValue `process.emitWarning` */
  onWarning?: (message: string) => void;
  /** Called when a re-listing (after a reconnect or a `list_changed` notification) changed the tools. */
  onToolsChanged?: (tools: readonly Tool[]) => void;
  /** Jitter source, for deterministic tests. @defaultValue Math.random */
  random?: () => number;
}

/** Where a source stands: `reconnecting` while the server is away, `closed` after {@link McpToolSource.close}. */
export type McpSourceState = 'connected' | 'reconnecting' | 'closed';

const CLIENT_INFO = { name: 'baton', version: '0.1.0' };
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RECONNECT = { baseMs: 100, maxMs: 5_000 };
// A server whose cursors never end must not hang the listing.
const MAX_LIST_PAGES = 1_000;

/**
 * Connects to an MCP server and lists its tools. Fails with `MCP_UNAVAILABLE` if the first
 * connection does not succeed (a wrong command or URL should be seen at startup, not retried forever).
 * @example
 * const github = await connectMcp({ name: 'github', transport: { kind: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'] } });
 * const tools = await github.tools(); // github.create_issue, …: grant them like local tools
 * await github.close();
 */
export async function connectMcp(options: McpServerOptions): Promise<McpToolSource> {
  const source = new McpToolSource(options);
  await source.start();
  return source;
}

/** The tools of one MCP server, kept connected. Create it with {@link connectMcp}. */
export class McpToolSource {
  /** The server's name in Baton, the prefix of its tools. */
  readonly name: string;
  private readonly options: McpServerOptions;
  private readonly timeoutMs: number;
  private client: Client | undefined;
  private opening: Client | undefined;
  private current: readonly Tool[] = [];
  private listing = '';
  private status: McpSourceState = 'reconnecting';
  private lastError: unknown;
  private wake = deferred();
  private sleep: { timer: NodeJS.Timeout; done: () => void } | undefined;
  private readonly closing = new Set<Promise<void>>();
  private readonly releases = new WeakMap<Client, () => Promise<void>>();

  /** Use {@link connectMcp}; the constructor does no I/O. */
  constructor(options: McpServerOptions) {
    assertServerName(options.name);
    this.name = options.name;
    this.options = options;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Where the source stands. */
  get state(): McpSourceState {
    return this.status;
  }

  /** The stdio server's process id while connected (for logs and tests); undefined over HTTP. */
  get pid(): number | undefined {
    return transportPid(this.client?.transport);
  }

  /** The server's tools as of the last listing, named `server.tool`. Kept while reconnecting. */
  async tools(): Promise<readonly Tool[]> {
    return this.current;
  }

  /** Lists the server's tools again (following pagination) and returns them. */
  async refresh(): Promise<readonly Tool[]> {
    const client = this.client;
    if (!client) return this.current;
    try {
      this.install(await listAllTools(client, this.timeoutMs));
    } catch (err) {
      const failure = classifyMcpFailure(err);
      if (failure === 'lost' || failure === 'not-sent') this.lost(client, err);
      throw mcpUnavailable(this.name, `could not list the tools of MCP server ${this.name}`, {
        reason: failure,
        cause: err,
      });
    }
    return this.current;
  }

  /** Opens the first connection. Called by {@link connectMcp}. */
  async start(): Promise<void> {
    try {
      const { client, tools } = await this.open();
      this.adopt(client, tools);
    } catch (err) {
      await this.close();
      throw mcpUnavailable(this.name, `could not connect to MCP server ${this.name}: ${messageOf(err)}`, {
        reason: 'connect',
        cause: err,
      });
    }
  }

  /** Disconnects, stops reconnecting and ends the server process (stdio) or session (HTTP). */
  async close(): Promise<void> {
    if (this.status !== 'closed') {
      this.status = 'closed';
      if (this.sleep) {
        clearTimeout(this.sleep.timer);
        this.sleep.done();
      }
      for (const client of [this.client, this.opening]) if (client) this.dispose(client);
      this.client = undefined;
      this.wake.resolve();
    }
    await Promise.all(this.closing);
  }

  private async open(): Promise<{ client: Client; tools: McpTool[] }> {
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    let closedEarly = false;
    // Set before connecting: a server that dies during the handshake must not go unnoticed.
    client.onclose = () => {
      closedEarly = true;
      this.lost(client, new Error(`MCP server ${this.name} closed the connection`));
    };
    this.opening = client;
    const { transport, release } = createTransport(this.options.transport);
    this.releases.set(client, release);
    try {
      await client.connect(transport, { timeout: this.timeoutMs });
      const tools = await listAllTools(client, this.timeoutMs);
      if (closedEarly) throw new Error('the connection closed while listing tools');
      if (this.status === 'closed') throw new Error('the source was closed while connecting');
      return { client, tools };
    } catch (err) {
      this.dispose(client);
      throw err;
    } finally {
      this.opening = undefined;
    }
  }

  private adopt(client: Client, tools: McpTool[]): void {
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      this.refresh().catch((err) => this.warn(`re-listing tools failed: ${messageOf(err)}`));
    });
    this.client = client;
    this.status = 'connected';
    this.install(tools);
    this.wake.resolve();
    this.wake = deferred();
  }

  /** Marks `client` as gone (once) and starts reconnecting in the background. */
  private lost(client: Client, cause: unknown): void {
    if (this.client !== client || this.status !== 'connected') return;
    this.client = undefined;
    this.status = 'reconnecting';
    this.lastError = cause;
    this.dispose(client);
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    const { baseMs, maxMs } = this.options.reconnect ?? DEFAULT_RECONNECT;
    const random = this.options.random ?? Math.random;
    for (let attempt = 0; this.status === 'reconnecting'; attempt++) {
      const backoff = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
      await new Promise<void>((done) => {
        this.sleep = { timer: setTimeout(done, backoff * (0.5 + random() / 2)), done };
      });
      this.sleep = undefined;
      if (this.status !== 'reconnecting') return;
      try {
        const { client, tools } = await this.open();
        this.adopt(client, tools);
        return;
      } catch (err) {
        this.lastError = err;
        if (this.status === 'reconnecting') {
          this.warn(`reconnect attempt ${attempt + 1} failed: ${messageOf(err)}`);
        }
      }
    }
  }

  /** Closes a client in the background; {@link close} waits for every one of these. */
  private dispose(client: Client): void {
    const transport = client.transport;
    const done = (async () => {
      await endSession(transport, 1_000);
      await client.close().catch(() => {});
      await this.releases.get(client)?.();
      this.releases.delete(client);
    })();
    this.closing.add(done);
    void done.finally(() => this.closing.delete(done));
  }

  private install(listed: McpTool[]): void {
    const key = JSON.stringify(listed);
    if (key === this.listing) return;
    const first = this.listing === '';
    this.listing = key;
    const tools = new Map<string, Tool>();
    for (const tool of listed) {
      const { name, renamed } = namespacedToolName(this.name, tool.name);
      if (tools.has(name)) {
        this.warn(`skipped tool ${JSON.stringify(tool.name)}: its Baton name ${name} is already taken`);
        continue;
      }
      if (renamed) this.warn(`tool ${JSON.stringify(tool.name)} is available as ${name}`);
      tools.set(name, this.wrap(name, tool));
    }
    this.current = Object.freeze([...tools.values()]);
    if (!first) this.options.onToolsChanged?.(this.current);
  }

  private wrap(name: string, tool: McpTool): Tool {
    const effect = tool.annotations?.readOnlyHint !== true;
    const idempotent = !effect || tool.annotations?.idempotentHint === true;
    return Object.freeze({
      name,
      description: tool.description ?? tool.annotations?.title ?? tool.title ?? '',
      inputSchema: tool.inputSchema,
      effect,
      idempotent,
      timeoutMs: this.timeoutMs,
      call: (input: unknown, context: ToolCallContext) =>
        this.call(tool.name, name, idempotent, input, context),
    });
  }

  private async call(
    mcpName: string,
    name: string,
    idempotent: boolean,
    input: unknown,
    context: ToolCallContext,
  ): Promise<unknown> {
    const args = input ?? {};
    if (typeof args !== 'object' || Array.isArray(args)) {
      throw new BatonError('INVALID_INPUT', `the input of MCP tool ${name} must be an object`, {
        hint: 'MCP tools take named arguments: pass a JSON object',
      });
    }
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const client = await this.connected(name, deadline, context.signal);
      let result: McpCallResult;
      try {
        result = await client.callTool(
          { name: mcpName, arguments: args as Record<string, unknown>, _meta: callMeta(context) },
          undefined,
          { signal: context.signal, timeout: Math.max(1, deadline - Date.now()) },
        );
      } catch (err) {
        if (context.signal.aborted) throw context.signal.reason;
        const failure = classifyMcpFailure(err);
        if (failure === 'not-sent' || (failure === 'lost' && idempotent)) {
          // The server never saw the call, or running it twice is harmless: send it again once
          // reconnected. An effect cut off mid-call is not resent: it may have happened.
          this.lost(client, err);
          continue;
        }
        if (failure === 'protocol') throw mcpToolError(this.name, name, messageOf(err), err);
        if (failure === 'lost') this.lost(client, err);
        throw mcpUnavailable(
          this.name,
          failure === 'timeout'
            ? `MCP tool ${name} did not answer within ${this.timeoutMs} ms`
            : failure === 'lost'
              ? `the connection to MCP server ${this.name} broke during a call of ${name}: ${messageOf(err)}`
              : `MCP tool ${name} failed: ${messageOf(err)}`,
          { tool: name, reason: failure, cause: err },
        );
      }
      if (result.isError) {
        throw mcpToolError(
          this.name,
          name,
          resultText(result) || `MCP tool ${name} failed without a message`,
        );
      }
      return resultValue(result);
    }
  }

  /** The connected client, waiting for a reconnect until `deadline`. */
  private async connected(tool: string, deadline: number, signal: AbortSignal): Promise<Client> {
    for (;;) {
      signal.throwIfAborted();
      if (this.status === 'closed') {
        throw new BatonError('MCP_UNAVAILABLE', `MCP server ${this.name} is closed`, {
          hint: 'The source was closed; connect again with connectMcp',
          details: { server: this.name, tool, reason: 'closed' },
        });
      }
      if (this.client) return this.client;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw mcpUnavailable(this.name, `MCP server ${this.name} is unreachable (tool ${tool})`, {
          tool,
          reason: 'disconnected',
          cause: this.lastError,
        });
      }
      await waitUntil(this.wake.promise, remaining, signal);
    }
  }

  private warn(message: string): void {
    const full = `MCP server ${this.name}: ${message}`;
    if (this.options.onWarning) this.options.onWarning(full);
    else process.emitWarning(full, 'BatonMcpWarning');
  }
}

async function listAllTools(client: Client, timeout: number): Promise<McpTool[]> {
  const tools: McpTool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const result = await client.listTools(cursor === undefined ? undefined : { cursor }, { timeout });
    tools.push(...result.tools);
    if (!result.nextCursor || result.nextCursor === cursor) break;
    cursor = result.nextCursor;
  }
  return tools;
}

function callMeta(context: ToolCallContext): Record<string, string> {
  return {
    'baton/idempotencyKey': context.idempotencyKey,
    ...(context.runId === undefined ? {} : { 'baton/runId': context.runId }),
    ...(context.stepId === undefined ? {} : { 'baton/stepId': context.stepId }),
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
