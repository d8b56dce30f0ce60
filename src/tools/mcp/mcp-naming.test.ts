import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { classifyMcpFailure, resultValue } from './mcp-errors.js';
import { assertServerName, isValidToolName, namespacedToolName } from './mcp-naming.js';

describe('MCP tool names', () => {
  it('prefixes valid names unchanged', () => {
    expect(namespacedToolName('github', 'create_issue')).toEqual({
      name: 'github.create_issue',
      renamed: false,
    });
    expect(namespacedToolName('fs', 'read.file-v2')).toEqual({ name: 'fs.read.file-v2', renamed: false });
  });

  it('replaces invalid characters and cuts to 128', () => {
    expect(namespacedToolName('s', 'héllo wörld/x')).toEqual({ name: 's.h_llo_w_rld_x', renamed: true });
    const long = namespacedToolName('s', 'a'.repeat(300));
    expect(long.name).toHaveLength(128);
    expect(isValidToolName(long.name)).toBe(true);
  });

  it('accepts only dot-free server names', () => {
    expect(() => assertServerName('my-server_1')).not.toThrow();
    for (const bad of ['', 'a.b', 'a b', 'x'.repeat(65)]) {
      expect(() => assertServerName(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});

describe('MCP failures and results', () => {
  it('tells a request the server never saw from one cut off in flight', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
    });
    expect(classifyMcpFailure(refused)).toBe('not-sent');
    expect(classifyMcpFailure(new StreamableHTTPError(404, 'Session not found'))).toBe('not-sent');
    expect(classifyMcpFailure(new Error('Not connected'))).toBe('not-sent');
    const reset = new TypeError('fetch failed', {
      cause: Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }),
    });
    expect(classifyMcpFailure(reset)).toBe('lost');
    expect(classifyMcpFailure(new McpError(ErrorCode.ConnectionClosed, 'closed'))).toBe('lost');
    expect(classifyMcpFailure(new McpError(ErrorCode.RequestTimeout, 'slow'))).toBe('timeout');
    expect(classifyMcpFailure(new McpError(ErrorCode.InvalidParams, 'bad'))).toBe('protocol');
    expect(classifyMcpFailure(new StreamableHTTPError(500, 'boom'))).toBe('other');
  });

  it('prefers structuredContent, then text, then raw content', () => {
    expect(resultValue({ structuredContent: { a: 1 }, content: [{ type: 'text', text: 'x' }] })).toEqual({
      a: 1,
    });
    expect(
      resultValue({
        content: [{ type: 'text', text: 'a' }, { type: 'image' }, { type: 'text', text: 'b' }],
      }),
    ).toBe('a\nb');
    expect(resultValue({ content: [{ type: 'image' }] })).toEqual([{ type: 'image' }]);
    expect(resultValue({ content: [] })).toBe('');
    expect(resultValue({ toolResult: 7 })).toBe(7);
  });
});
