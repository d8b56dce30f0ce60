import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/temp-dir.js';
import { until } from '../../../test/until.js';
import { BatonError, toErrorInfo } from '../../core/errors.js';
import type { Tool, ToolCallContext } from '../tool.js';
import { connectMcp, type McpServerOptions, type McpToolSource } from './mcp-source.js';

const serverFile = fileURLToPath(new URL('./fixtures/stdio-server.ts', import.meta.url));

function stdioOptions(dir: string, extra: Partial<McpServerOptions> = {}): McpServerOptions {
  return {
    name: 'fx',
    transport: {
      kind: 'stdio',
      command: process.execPath,
      args: ['--import', 'tsx', serverFile],
      env: { MCP_FIXTURE_DIR: dir },
      cwd: process.cwd(),
    },
    reconnect: { baseMs: 20, maxMs: 200 },
    onWarning: () => {},
    ...extra,
  };
}

function context(over: Partial<ToolCallContext> = {}): ToolCallContext {
  return { idempotencyKey: 'run-1/step-1/call-1', signal: new AbortController().signal, ...over };
}

function tool(tools: readonly Tool[], name: string): Tool {
  const found = tools.find((t) => t.name === name);
  if (!found) throw new Error(`no tool ${name} in ${tools.map((t) => t.name).join(', ')}`);
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('McpToolSource over stdio', () => {
  const temp = tempDir('baton-mcp-');
  let source: McpToolSource;
  let tools: readonly Tool[];

  beforeAll(async () => {
    source = await connectMcp(stdioOptions(temp.dir));
    tools = await source.tools();
  });

  afterAll(async () => {
    await source?.close();
    temp.cleanup();
  });

  it('lists the tools namespaced as server.tool, with schemas and annotations', () => {
    expect(tools.map((t) => t.name).sort()).toEqual([
      'fx.add',
      'fx.boot_1',
      'fx.count',
      'fx.echo',
      'fx.fail',
      'fx.meta',
      'fx.slow',
    ]);
    const add = tool(tools, 'fx.add');
    expect(add.description).toBe('Adds two numbers.');
    expect(add.inputSchema).toMatchObject({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    });
    expect([add.effect, add.idempotent]).toEqual([false, true]);
    const echo = tool(tools, 'fx.echo');
    expect([echo.effect, echo.idempotent]).toEqual([true, false]);
    expect(tool(tools, 'fx.count').effect).toBe(true);
    expect(Object.isFrozen(tools)).toBe(true);
  });

  it('returns structuredContent when present, else the text parts joined', async () => {
    expect(await tool(tools, 'fx.add').call({ a: 2, b: 3 }, context())).toEqual({ sum: 5 });
    expect(await tool(tools, 'fx.echo').call({ text: 'hello' }, context())).toBe('hello\n(5 chars)');
  });

  it('passes the idempotency key and run ids in _meta', async () => {
    const result = await tool(tools, 'fx.meta').call(
      {},
      context({ runId: 'run-9', stepId: 'pay', idempotencyKey: 'run-9/pay/c1' }),
    );
    expect(result).toEqual({
      meta: { 'baton/idempotencyKey': 'run-9/pay/c1', 'baton/runId': 'run-9', 'baton/stepId': 'pay' },
    });
  });

  it('turns an isError result into MCP_TOOL_ERROR carrying the server text', async () => {
    const err = await rejection(tool(tools, 'fx.fail').call({ reason: 'no such user: bob' }, context()));
    expect(err).toBeInstanceOf(BatonError);
    expect(err).toMatchObject({ code: 'MCP_TOOL_ERROR', message: 'no such user: bob' });
    expect(toErrorInfo(err).retryable).toBe(false);
  });

  it('turns a protocol error (invalid arguments) into MCP_TOOL_ERROR', async () => {
    const err = await rejection(tool(tools, 'fx.add').call({ a: 'two' }, context()));
    expect(err).toMatchObject({ code: 'MCP_TOOL_ERROR' });
    expect((err as Error).message).toMatch(/a/);
  });

  it('stops a call when its signal aborts, and tells the server to cancel', async () => {
    const controller = new AbortController();
    const call = tool(tools, 'fx.slow').call({ ms: 60_000 }, context({ signal: controller.signal }));
    await until('the slow call to start', async () => existsSync(join(temp.dir, 'slow-started')));
    controller.abort(new Error('cancelled by the test'));
    expect(await rejection(call)).toMatchObject({ message: 'cancelled by the test' });
    await until('the server to see the cancellation', async () => existsSync(join(temp.dir, 'slow-aborted')));
    expect(await tool(tools, 'fx.add').call({ a: 1, b: 1 }, context())).toEqual({ sum: 2 });
  });

  it('fails at once with MCP_UNAVAILABLE when the server cannot start', async () => {
    const err = await rejection(
      connectMcp({
        name: 'broken',
        transport: { kind: 'stdio', command: process.execPath, args: ['-e', 'process.exit(3)'] },
        timeoutMs: 10_000,
      }),
    );
    expect(err).toMatchObject({ code: 'MCP_UNAVAILABLE' });
    expect(toErrorInfo(err).retryable).toBe(true);
    const missing = await rejection(
      connectMcp({ name: 'missing', transport: { kind: 'stdio', command: '/nonexistent/baton-mcp-server' } }),
    );
    expect(missing).toMatchObject({ code: 'MCP_UNAVAILABLE' });
  });

  it('rejects server names that cannot prefix tool names', async () => {
    await expect(connectMcp({ ...stdioOptions(temp.dir), name: 'a.b' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('McpToolSource after the stdio server is killed', () => {
  it('reconnects to a fresh process, re-lists tools, and never repeats the interrupted call', async () => {
    const temp = tempDir('baton-mcp-');
    const changes: string[][] = [];
    const source = await connectMcp(
      stdioOptions(temp.dir, { onToolsChanged: (tools) => changes.push(tools.map((t) => t.name)) }),
    );
    try {
      const count = tool(await source.tools(), 'fx.count');
      const first = source.pid!;
      expect(alive(first)).toBe(true);

      const interrupted = count.call({ holdMs: 60_000 }, context());
      const counter = () => Number(readFileSync(join(temp.dir, 'count'), 'utf8'));
      await until('the count call to reach the server', async () => existsSync(join(temp.dir, 'count')));
      process.kill(first, 'SIGKILL');

      const err = await rejection(interrupted);
      expect(err).toMatchObject({ code: 'MCP_UNAVAILABLE', details: { reason: 'lost', tool: 'fx.count' } });
      expect(toErrorInfo(err).retryable).toBe(true);

      await until('a new server process', async () => source.state === 'connected' && source.pid !== first);
      expect(alive(first)).toBe(false);
      expect(changes.at(-1)).toContain('fx.boot_2');
      expect((await source.tools()).map((t) => t.name)).toContain('fx.boot_2');

      // The tool object handed out before the crash keeps working.
      expect(counter()).toBe(1);
      expect(await count.call({}, context())).toEqual({ count: 2 });
      expect(counter()).toBe(2);

      // A read-only call racing the crash is sent again on the next process: it cannot do harm twice.
      const second = source.pid!;
      process.kill(second, 'SIGKILL');
      expect(await tool(await source.tools(), 'fx.add').call({ a: 20, b: 22 }, context())).toEqual({
        sum: 42,
      });
      expect(source.pid).not.toBe(second);
      expect(alive(second)).toBe(false);
    } finally {
      await source.close();
      temp.cleanup();
    }
  });

  it('close() ends the server process and leaves no handle behind', async () => {
    const temp = tempDir('baton-mcp-');
    const handles = () => process.getActiveResourcesInfo().filter((r) => r !== 'Timeout' && r !== 'TTYWrap');
    const before = handles().length;
    const source = await connectMcp(stdioOptions(temp.dir));
    const pid = source.pid!;
    const echo = tool(await source.tools(), 'fx.echo');
    expect(alive(pid)).toBe(true);
    expect(handles().length).toBeGreaterThan(before);

    await source.close();
    expect(source.state).toBe('closed');
    expect(alive(pid)).toBe(false);
    expect(handles()).toHaveLength(before);
    await expect(echo.call({ text: 'x' }, context())).rejects.toMatchObject({
      code: 'MCP_UNAVAILABLE',
      details: { reason: 'closed' },
    });
    temp.cleanup();
  });
});
