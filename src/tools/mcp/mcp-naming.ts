/**
 * Names of MCP tools inside Baton: `<server>.<tool>`, so that two servers exporting `search` do not
 * collide (the spec asks aggregating clients to prefix, because `serverInfo.name` is not unique).
 * @module
 */

import { BatonError } from '../../core/errors.js';

/** The longest tool name Baton and the MCP spec accept. */
export const MAX_TOOL_NAME_LENGTH = 128;

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
// No dot: the first dot of a namespaced name must split server from tool.
const SERVER_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const INVALID_CHARS = /[^A-Za-z0-9_.-]/g;

/** True if `name` is a valid Baton tool name: 1–128 characters of `[A-Za-z0-9_.-]`. */
export function isValidToolName(name: string): boolean {
  return TOOL_NAME.test(name);
}

/** Throws `INVALID_ARGUMENT` unless `name` can prefix tool names (1–64 of `[A-Za-z0-9_-]`, no dot). */
export function assertServerName(name: string): void {
  if (!SERVER_NAME.test(name)) {
    throw new BatonError('INVALID_ARGUMENT', `MCP server name ${JSON.stringify(name)} is not valid`, {
      hint: 'Use 1–64 letters, digits, `_` or `-` (no dot): it becomes the `server.` prefix of its tools',
    });
  }
}

/**
 * The Baton name of MCP tool `tool` of server `server`: `server.tool` when valid, else with invalid
 * characters replaced by `_` and cut to 128 characters. `renamed` says whether it had to change.
 */
export function namespacedToolName(server: string, tool: string): { name: string; renamed: boolean } {
  const plain = `${server}.${tool}`;
  if (isValidToolName(plain)) return { name: plain, renamed: false };
  const name = `${server}.${tool.replace(INVALID_CHARS, '_')}`.slice(0, MAX_TOOL_NAME_LENGTH);
  return { name, renamed: true };
}
