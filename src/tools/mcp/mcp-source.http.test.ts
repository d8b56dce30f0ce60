import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/temp-dir.js';
import { until } from '../../../test/until.js';
import { toErrorInfo } from '../../core/errors.js';
import type { Tool, ToolCallContext } from '../tool.js';
import { fixtureServer } from './fixtures/fixture-tools.js';
import { type ConnectableServer, type HttpMcpFixture, startHttpMcp } from './fixtures/http-server.js';
import { connectMcp, type McpServerOptions, type McpToolSource } from './mcp-source.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(build?: () => ConnectableServer): Promise<{ fixture: HttpMcpFixture; dir: string }> {
  const temp = tempDir('baton-mcp-http-');
  cleanups.push(temp.cleanup);
  const fixture = await startHttpMcp(build ?? (() => fixtureServer(temp.dir)));
  cleanups.push(() => fixture.stop());
  return { fixture, dir: temp.dir };
}

async function connect(url: string, extra: Partial<McpServerOptions> = {}): Promise<McpToolSource> {
  const source = await connectMcp({
    name: 'fx',
    transport: { kind: 'http', url },
    reconnect: { baseMs: 10, maxMs: 50 },
    onWarning: () => {},
    ...extra,
  });
  cleanups.push(() => source.close());
  return source;
}

function context(over: Partial<ToolCallContext> = {}): ToolCallContext {
  return { idempotencyKey: 'run-1/step-1/call-1', signal: new AbortController().signal, ...over };
}

function tool(tools: readonly Tool[], name: string): Tool {
  const found = tools.find((t) => t.name === name);
  if (!found) throw new Error(`no tool ${name} in ${tools.map((t) => t.name).join(', ')}`);
  return found;
}

/** A low-level server whose tools come in three pages, some with names Baton must fix. */
function pagedServer(): Server {
  const server = new Server({ name: 'paged', version: '1.0.0' }, { capabilities: { tools: {} } });
  const named = (name: string) => ({
    name,
    description: `tool ${name}`,
    inputSchema: { type: 'object' as const },
  });
  const pages = [
    [named('alpha'), named('bad name/with spaces')],
    [named('x'.repeat(200)), named('dup?')],
    [named('dup!'), named('omega')],
  ];
  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    const page = Number(request.params?.cursor ?? 0);
    return { tools: pages[page] ?? [], ...(page + 1 < pages.length ? { nextCursor: String(page + 1) } : {}) };
  });
  server.setRequestHandler(CallToolRequestSchema, async (request) => ({
    content: [{ type: 'text', text: `called ${request.params.name}` }],
  }));
  return server;
}

describe('McpToolSource over Streamable HTTP', () => {
  it('lists and calls tools', async () => {
    const { fixture } = await serve();
    const source = await connect(fixture.url);
    const tools = await source.tools();
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['fx.add', 'fx.echo', 'fx.fail', 'fx.slow', 'fx.count', 'fx.meta']),
    );
    expect(source.pid).toBeUndefined();
    expect(await tool(tools, 'fx.add').call({ a: 40, b: 2 }, context())).toEqual({ sum: 42 });
    expect(await tool(tools, 'fx.meta').call({}, context({ runId: 'r1' }))).toEqual({
      meta: { 'baton/idempotencyKey': 'run-1/step-1/call-1', 'baton/runId': 'r1' },
    });
    await expect(tool(tools, 'fx.fail').call({ reason: 'quota exhausted' }, context())).rejects.toMatchObject(
      {
        code: 'MCP_TOOL_ERROR',
        message: 'quota exhausted',
      },
    );
  });

  it('follows pagination and renames or skips tool names that are not valid in Baton', async () => {
    const { fixture } = await serve(pagedServer);
    const warnings: string[] = [];
    const source = await connect(fixture.url, { name: 'pg', onWarning: (w) => warnings.push(w) });
    const tools = await source.tools();
    const long = `pg.${'x'.repeat(125)}`;
    expect(tools.map((t) => t.name)).toEqual([
      'pg.alpha',
      'pg.bad_name_with_spaces',
      long,
      'pg.dup_',
      'pg.omega',
    ]);
    expect(long).toHaveLength(128);
    expect(warnings).toEqual([
      'MCP server pg: tool "bad name/with spaces" is available as pg.bad_name_with_spaces',
      `MCP server pg: tool "${'x'.repeat(200)}" is available as ${long}`,
      'MCP server pg: tool "dup?" is available as pg.dup_',
      'MCP server pg: skipped tool "dup!": its Baton name pg.dup_ is already taken',
    ]);
    // A renamed tool still calls the server's own name.
    expect(await tool(tools, 'pg.bad_name_with_spaces').call({}, context())).toBe(
      'called bad name/with spaces',
    );
    // No annotations: an effect, not idempotent (the MCP defaults).
    expect([tools[0]?.effect, tools[0]?.idempotent]).toEqual([true, false]);
  });

  it('fails a call that outlives its timeout with MCP_UNAVAILABLE and cancels it on the server', async () => {
    const { fixture, dir } = await serve();
    const source = await connect(fixture.url, { timeoutMs: 300 });
    const tools = await source.tools();
    const err = await tool(tools, 'fx.slow')
      .call({ ms: 60_000 }, context())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MCP_UNAVAILABLE', details: { reason: 'timeout', tool: 'fx.slow' } });
    expect(toErrorInfo(err).retryable).toBe(true);
    await until('the server to see the cancellation', async () => existsSync(join(dir, 'slow-aborted')));
    expect(source.state).toBe('connected');
    expect(await tool(tools, 'fx.add').call({ a: 1, b: 2 }, context())).toEqual({ sum: 3 });
  });

  it('opens a new session after the server restarts on the same port', async () => {
    const { fixture } = await serve();
    const source = await connect(fixture.url);
    const add = tool(await source.tools(), 'fx.add');
    expect(await add.call({ a: 1, b: 1 }, context())).toEqual({ sum: 2 });
    expect(fixture.initialized.count).toBe(1);

    await fixture.restart();
    expect(await add.call({ a: 2, b: 2 }, context())).toEqual({ sum: 4 });
    expect(fixture.initialized.count).toBe(2);
    expect(source.state).toBe('connected');
  });

  it('makes a call wait for the server to come back, up to its timeout', async () => {
    const { fixture } = await serve();
    const patient = await connect(fixture.url, { timeoutMs: 30_000 });
    const hasty = await connect(fixture.url, { timeoutMs: 300 });
    const patientAdd = tool(await patient.tools(), 'fx.add');
    const hastyAdd = tool(await hasty.tools(), 'fx.add');

    await fixture.stop();
    const err = await hastyAdd.call({ a: 1, b: 1 }, context()).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'MCP_UNAVAILABLE',
      details: { reason: 'disconnected', tool: 'fx.add' },
    });
    expect(hasty.state).toBe('reconnecting');

    const waiting = patientAdd.call({ a: 2, b: 3 }, context());
    await until('the patient source to notice', async () => patient.state === 'reconnecting');
    await fixture.start();
    expect(await waiting).toEqual({ sum: 5 });
    await until('the hasty source to reconnect', async () => hasty.state === 'connected');
  });

  it('stops waiting when the call is aborted', async () => {
    const { fixture } = await serve();
    const source = await connect(fixture.url);
    const add = tool(await source.tools(), 'fx.add');
    await fixture.stop();
    const controller = new AbortController();
    const waiting = add.call({ a: 1, b: 1 }, context({ signal: controller.signal })).catch((e: unknown) => e);
    await until('the source to notice', async () => source.state === 'reconnecting');
    controller.abort(new Error('run cancelled'));
    expect(await waiting).toMatchObject({ message: 'run cancelled' });
  });

  it('close() ends the session on the server, stops reconnecting and leaves no socket', async () => {
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
    const before = sockets();
    const { fixture } = await serve();
    const source = await connect(fixture.url);
    expect(await tool(await source.tools(), 'fx.add').call({ a: 1, b: 1 }, context())).toEqual({ sum: 2 });
    expect(fixture.sessions()).toBe(1);
    await source.close();
    expect(fixture.sessions()).toBe(0);

    const down = await connect(fixture.url);
    await fixture.stop();
    const add = tool(await down.tools(), 'fx.add');
    await expect(
      add.call({ a: 1, b: 1 }, context({ signal: AbortSignal.timeout(200) })),
    ).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(down.state).toBe('reconnecting');
    await down.close();
    expect(down.state).toBe('closed');
    // At most as many as before: sockets of earlier tests may close meanwhile, this one's must.
    await until('sockets to close', async () => sockets() <= before, 5_000);
  });
});
