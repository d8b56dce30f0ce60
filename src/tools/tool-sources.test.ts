import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { searchDocs, setup } from '../../test/tools/registry-fixtures.js';
import { BatonError } from '../core/errors.js';
import { defineTool } from './define-tool.js';
import type { Tool, ToolSource } from './tool.js';

describe('ToolRegistry sources', () => {
  function source(name: string, tools: Tool[]): ToolSource {
    return { name, tools: () => tools };
  }

  it('resolves namespaced tools of a source, hides them while the source offers none', async () => {
    const { registry } = setup();
    let offered: Tool[] = [];
    // Asynchronous, like an MCP source's cached listing.
    registry.addSource({ name: 'github', tools: async () => offered });
    const tools = registry.forGrant(['github.search']);
    expect(await tools.definitions()).toEqual([]);
    expect(await tools.call('github.search', '{}')).toMatchObject({
      ok: false,
      error: { code: 'TOOL_NOT_FOUND' },
    });
    offered = [{ ...searchDocs, name: 'github.search', call: searchDocs.call }];
    expect((await tools.definitions()).map((d) => d.function.name)).toEqual(['github.search']);
    expect(await tools.call('github.search', '{"query":"q"}')).toMatchObject({ ok: true });
  });

  it('treats a failing source as offering nothing for now', async () => {
    const { registry, audit } = setup();
    registry.addSource({
      name: 'down',
      tools: () => Promise.reject(new BatonError('MCP_UNAVAILABLE', 'server down')),
    });
    const tools = registry.forGrant(['down.query']);
    expect(await tools.definitions()).toEqual([]);
    expect(await tools.call('down.query', '{}')).toMatchObject({
      ok: false,
      error: { code: 'TOOL_NOT_FOUND' },
    });
    expect(audit.records[0]).toMatchObject({ outcome: 'error', errorCode: 'TOOL_NOT_FOUND' });
  });

  it('keeps a wrapped Baton error code in the audit, and retries it when its code is retryable', async () => {
    const { registry, audit } = setup();
    let calls = 0;
    const remote: Tool = {
      ...searchDocs,
      name: 'remote.fetch',
      call: async () => {
        calls += 1;
        if (calls === 1) throw new BatonError('MCP_UNAVAILABLE', 'connection lost');
        throw new BatonError('MCP_TOOL_ERROR', 'the server said no');
      },
    };
    registry.addSource(source('remote', [remote]));
    const outcome = await registry.forGrant(['remote.fetch']).call('remote.fetch', '{}');
    expect(outcome).toMatchObject({ ok: false, error: { code: 'TOOL_FAILED' } });
    if (!outcome.ok) expect(outcome.error.message).toContain('the server said no');
    expect(calls).toBe(2);
    expect(audit.records[0]).toMatchObject({
      errorCode: 'TOOL_FAILED',
      causeCode: 'MCP_TOOL_ERROR',
      attempts: 2,
    });
  });

  it('keeps namespaces apart from local tools and other sources', () => {
    const { registry } = setup();
    registry.register(
      defineTool({ name: 'fs.read', description: 'r', input: z.object({}), handler: () => '' }),
    );
    expect(() => registry.addSource(source('fs', []))).toThrow(/namespace fs is already taken/);
    registry.addSource(source('github', []));
    expect(() => registry.addSource(source('github', []))).toThrow(/already taken/);
    expect(() => registry.addSource(source('git.hub', []))).toThrow(/invalid/);
    expect(() =>
      registry.register(
        defineTool({ name: 'github.x', description: 'x', input: z.object({}), handler: () => '' }),
      ),
    ).toThrow(/namespace of source github/);
  });
});
