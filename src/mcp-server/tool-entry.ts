/**
 * A tool of Baton's MCP server as the server keeps it: what it lists and what it runs.
 * @module
 */
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { JsonSchema } from '../tools/tool.js';
import type { McpIdentity, ToolAccess } from './access.js';

/** One tool: its listing, who may call it, and its body (which throws `BatonError`s on failure). */
export interface ToolEntry {
  name: string;
  access: ToolAccess;
  title: string;
  description: string;
  inputSchema: JsonSchema;
  annotations: ToolAnnotations;
  /** Runs the tool for `identity`; the value becomes the JSON result. */
  call(args: Record<string, unknown>, identity: McpIdentity): Promise<unknown>;
}
