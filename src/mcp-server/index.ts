/**
 * Baton as an MCP server: MCP hosts start workflows, follow runs and decide approvals.
 * @module
 */

export {
  checkIdentity,
  isRole,
  type McpIdentity,
  mayUse,
  ROLES,
  type Role,
  type ToolAccess,
} from './access.js';
export {
  type Authenticate,
  BatonMcpServer,
  type BatonMcpServerOptions,
  createBatonMcpServer,
} from './baton-mcp-server.js';
export { type McpHttpOptions, mcpHttpHandler, mcpNodeHandler } from './http.js';
export { type McpStdioOptions, type McpStdioSession, serveMcpStdio } from './stdio.js';
