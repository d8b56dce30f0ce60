/**
 * Baton as an MCP server: an SDK `McpServer` whose tools start workflows, read runs and decide
 * approvals for one caller identity (or one per request, with `authenticate`). Transports are in
 * `stdio.ts` and `http.ts`.
 * @module
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  type CallToolResult,
  ListToolsRequestSchema,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Baton } from '../runtime/baton.js';
import { checkIdentity, type McpIdentity, mayUse } from './access.js';
import { FIXED_TOOL_NAMES, runTools, runView } from './run-tools.js';
import { listStartTools, type StartTool, type StartToolCache, splitStartArguments } from './start-tools.js';
import type { ToolEntry } from './tool-entry.js';
import { failureResult, forbidden, toolError, toolValue, unauthenticated } from './tool-results.js';

/** Turns a request's bearer token (undefined when there is none) into an identity, or undefined to refuse it. */
export type Authenticate = (
  token: string | undefined,
) => McpIdentity | undefined | Promise<McpIdentity | undefined>;

/** Options of {@link createBatonMcpServer}: a fixed `identity`, or `authenticate` to resolve one per request. */
export type BatonMcpServerOptions = (
  | { identity: McpIdentity; authenticate?: never }
  | { authenticate: Authenticate; identity?: never }
) & {
  /** The server's name in `initialize`. @defaultValue 'baton' */
  name?: string;
  /** @defaultValue '0.1.0' */
  version?: string;
  /** The longest wait `get_run` accepts. @defaultValue 30 */
  maxWaitSeconds?: number;
  /** Told about workflows that get no start tool. @defaultValue `process.emitWarning` */
  onWarning?: (message: string) => void;
};

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

// Start tools are described once per version and engine, whichever server instance asks.
const caches = new WeakMap<Baton, StartToolCache>();
// Arguments are checked by each tool after the access check, so a forbidden call is refused as such.
const ANY_ARGUMENTS = z.looseObject({});

/**
 * An `McpServer` exposing Baton. Tools a caller's roles do not allow are not listed for it; calling
 * them anyway answers a `FORBIDDEN` tool error. Create it with {@link createBatonMcpServer}.
 */
export class BatonMcpServer extends McpServer {
  private readonly baton: Baton;
  private readonly options: BatonMcpServerOptions;
  private readonly entries = new Map<string, ToolEntry>();
  private readonly handles = new Map<string, { remove(): void }>();
  private readonly startToolNames = new Map<string, string>();
  private readonly cache: StartToolCache;
  private refreshing: Promise<boolean> | undefined;

  /** Use {@link createBatonMcpServer}, which also lists the workflows before the first request. */
  constructor(baton: Baton, options: BatonMcpServerOptions) {
    super(
      { name: options.name ?? 'baton', version: options.version ?? '0.1.0' },
      {
        capabilities: { tools: { listChanged: true } },
        // One refresh may add, remove and change several tools: the host hears about it once.
        debouncedNotificationMethods: ['notifications/tools/list_changed'],
        instructions:
          'Baton runs durable workflows. Start one with a start_<workflow> tool, follow it with get_run (wait_seconds waits for the end), and decide human approvals with list_approvals and decide_approval.',
      },
    );
    if (options.identity) checkIdentity(options.identity);
    this.baton = baton;
    this.options = options;
    let cache = caches.get(baton);
    if (!cache) {
      cache = new Map();
      caches.set(baton, cache);
    }
    this.cache = cache;
    const fixed = runTools({
      baton,
      maxWaitSeconds: options.maxWaitSeconds ?? 30,
      startTools: () => this.startToolNames,
      cache,
    });
    for (const entry of fixed) this.install(entry);
    // The SDK's listing shows every enabled tool; ours shows the caller's, after looking for new workflows.
    this.server.setRequestHandler(ListToolsRequestSchema, async (_request, extra) => {
      await this.refreshTools();
      const identity = await this.identityOf(extra);
      const tools: Tool[] = [];
      for (const entry of this.entries.values()) {
        if (!identity || !mayUse(identity, entry.access)) continue;
        tools.push({
          name: entry.name,
          title: entry.title,
          description: entry.description,
          inputSchema: entry.inputSchema as Tool['inputSchema'],
          annotations: entry.annotations,
        });
      }
      return { tools };
    });
  }

  /**
   * Brings the start tools in line with the registered workflows: a tool for each new workflow, the
   * new version's schema for each changed one. When connected, the SDK then sends
   * `notifications/tools/list_changed`. Resolves to whether anything changed.
   */
  refreshTools(): Promise<boolean> {
    this.refreshing ??= this.syncStartTools().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async syncStartTools(): Promise<boolean> {
    const warn = this.options.onWarning ?? ((m: string) => process.emitWarning(m, 'BatonMcpWarning'));
    const tools = await listStartTools(this.baton, this.cache, FIXED_TOOL_NAMES, warn);
    let changed = false;
    const current = new Set(tools.map((t) => t.name));
    for (const name of [...this.startToolNames.values()]) {
      if (current.has(name)) continue;
      this.handles.get(name)?.remove();
      this.handles.delete(name);
      this.entries.delete(name);
      changed = true;
    }
    this.startToolNames.clear();
    for (const tool of tools) {
      this.startToolNames.set(tool.workflow, tool.name);
      const known = this.entries.get(tool.name);
      if (known && known.description === tool.description && known.inputSchema === tool.inputSchema) continue;
      changed = true;
      if (known) this.entries.set(tool.name, this.startEntry(tool));
      else this.install(this.startEntry(tool));
    }
    // A tool only changed in place is not announced by the SDK's registration; say it ourselves.
    if (changed && this.isConnected()) this.sendToolListChanged();
    return changed;
  }

  private startEntry(tool: StartTool): ToolEntry {
    return {
      name: tool.name,
      access: 'start',
      title: `Start ${tool.workflow}`,
      description: tool.description,
      inputSchema: tool.inputSchema,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
      call: async (args, identity) => {
        const { input, idempotencyKey } = splitStartArguments(tool, args);
        const run = await this.baton.submit(tool.workflow, input, {
          version: tool.versionId,
          tenant: identity.tenant,
          ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        });
        const { runId, workflow, version, status, createdAt } = runView(run);
        return { runId, workflow, version, status, createdAt };
      },
    };
  }

  private install(entry: ToolEntry): void {
    this.entries.set(entry.name, entry);
    const handle = this.registerTool(
      entry.name,
      { description: entry.description, inputSchema: ANY_ARGUMENTS },
      (args: Record<string, unknown>, extra: Extra) => this.dispatch(entry.name, args, extra),
    );
    this.handles.set(entry.name, handle);
  }

  private async dispatch(name: string, args: Record<string, unknown>, extra: Extra): Promise<CallToolResult> {
    try {
      const identity = await this.identityOf(extra);
      if (!identity) return unauthenticated();
      const entry = this.entries.get(name);
      if (!entry) {
        return toolError({
          code: 'TOOL_NOT_FOUND',
          message: `tool ${name} no longer exists`,
          hint: 'List the tools again: its workflow is gone',
        });
      }
      if (!mayUse(identity, entry.access)) return forbidden(name, entry.access, identity);
      return toolValue(await entry.call(args, identity));
    } catch (err) {
      return failureResult(err);
    }
  }

  private async identityOf(extra: Extra): Promise<McpIdentity | undefined> {
    if (this.options.identity) return this.options.identity;
    const identity = await this.options.authenticate?.(extra.authInfo?.token);
    return identity === undefined ? undefined : checkIdentity(identity);
  }
}

/**
 * Builds Baton's MCP server: `list_workflows`, `get_run`, `list_approvals`, `decide_approval` and one
 * `start_<workflow>` tool per registered workflow, filtered by the caller's roles and confined to its
 * tenant. Connect it to any SDK server transport, or use {@link serveMcpStdio} / {@link mcpHttpHandler}.
 * @example
 * const server = await createBatonMcpServer(baton, { identity: { subject: 'ide', tenant: 'acme', roles: ['operator'] } });
 * await server.connect(new StdioServerTransport());
 */
export async function createBatonMcpServer(
  baton: Baton,
  options: BatonMcpServerOptions,
): Promise<BatonMcpServer> {
  const server = new BatonMcpServer(baton, options);
  await server.refreshTools();
  return server;
}
