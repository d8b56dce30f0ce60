/**
 * An MCP server's tools behind the tool hub: a real MCP server process over stdio (the SDK's own
 * server), registered as a source, granted like local tools, called through a `tool` step.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toolCall, toolKind } from '../../src/agents/tool-step.js';
import { workflow } from '../../src/core/builder.js';
import { MemoryToolAuditSink } from '../../src/tools/audit.js';
import { connectMcp, type McpToolSource } from '../../src/tools/mcp/index.js';
import { ToolRegistry } from '../../src/tools/tool-registry.js';
import { tempDir, useEngines } from '../helpers.js';

const serverFile = fileURLToPath(new URL('../../src/tools/mcp/fixtures/stdio-server.ts', import.meta.url));
const engine = useEngines();
let source: McpToolSource;
let dir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  dir = tempDir();
  source = await connectMcp({
    name: 'fx',
    transport: {
      kind: 'stdio',
      command: process.execPath,
      args: ['--import', 'tsx', serverFile],
      env: { MCP_FIXTURE_DIR: dir.dir },
      cwd: process.cwd(),
    },
    onWarning: () => {},
  });
});

afterAll(async () => {
  await source?.close();
  dir?.cleanup();
});

describe('MCP tools in the tool hub', () => {
  it('grants and calls a namespaced MCP tool, and refuses one outside the grant', async () => {
    const audit = new MemoryToolAuditSink();
    const registry = new ToolRegistry({ audit }).addSource(source);
    const granted = registry.forGrant(['fx.add']);
    expect((await granted.definitions()).map((d) => d.function.name)).toEqual(['fx.add']);
    const ok = await granted.call('fx.add', { a: 2, b: 3 }, { runId: 'r1', stepId: 's1' });
    expect(ok).toMatchObject({ ok: true, value: { sum: 5 } });
    const refused = await granted.call('fx.count', {}, { runId: 'r1', stepId: 's1' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'TOOL_NOT_GRANTED' } });
    expect(audit.records.map((r) => [r.tool, r.outcome])).toEqual([
      ['fx.add', 'ok'],
      ['fx.count', 'refused'],
    ]);
  });

  it('runs an MCP tool as a tool step', async () => {
    const registry = new ToolRegistry({ audit: new MemoryToolAuditSink() }).addSource(source);
    const b = await engine({ kinds: [toolKind(registry)] });
    await b.register(
      workflow({ name: 'adder', version: '1', input: z.object({ a: z.number(), b: z.number() }) })
        .custom('sum', 'tool', toolCall({ tool: 'fx.add', input: (ctx) => ctx.input }))
        .output(({ steps }) => steps.sum),
    );
    b.worker();
    const done = await b.waitForRun((await b.submit('adder', { a: 20, b: 22 })).id);
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ sum: 42 });
  });
});
