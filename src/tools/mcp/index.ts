/**
 * Baton as an MCP client: connect to MCP servers and use their tools like local ones.
 * @module
 */

export { classifyMcpFailure, type McpFailure } from './mcp-errors.js';
export { isValidToolName, MAX_TOOL_NAME_LENGTH, namespacedToolName } from './mcp-naming.js';
export { connectMcp, type McpServerOptions, type McpSourceState, McpToolSource } from './mcp-source.js';
export type {
  McpHttpTransportOptions,
  McpStdioTransportOptions,
  McpTransportOptions,
} from './mcp-transport.js';
