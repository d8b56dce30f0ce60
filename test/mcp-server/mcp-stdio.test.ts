/**
 * `baton mcp` as an MCP host runs it: the real CLI spawned over stdio, driven by the SDK's `Client`.
 */
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { Baton } from '../../src/runtime/baton.js';
import { tempDir } from '../temp-dir.js';
import { until } from '../until.js';
import { fails, ok, toolNames } from './helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const config = fileURLToPath(new URL('./fixtures/baton.config.ts', import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function spawnMcp(
  dataDir: string,
  flags: string[],
): Promise<{ client: Client; errors: Error[]; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', 'src/cli/main.ts', '--config', config, '--data-dir', dataDir, 'mcp', ...flags],
    cwd: root,
    env: { ...(process.env as Record<string, string>), NO_COLOR: '1', BATON_DEBUG: '' },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const client = new Client({ name: 'baton-test-host', version: '1.0.0' });
  // A line on stdout that is not JSON-RPC reaches the client as an error: there must be none.
  const errors: Error[] = [];
  client.onerror = (e) => errors.push(e);
  await client.connect(transport);
  cleanups.push(() => client.close());
  return { client, errors, stderr: () => stderr };
}

describe('baton mcp over stdio', () => {
  it('starts a run, reads its result, and keeps stdout for JSON-RPC', async () => {
    const temp = tempDir('baton-mcp-stdio-');
    cleanups.push(temp.cleanup);
    const { client, errors, stderr } = await spawnMcp(temp.dir, ['--tenant', 'acme', '--subject', 'desk']);

    expect(client.getServerVersion()?.name).toBe('baton');
    // The default role is operator: it may start and read, not decide.
    expect(await toolNames(client)).toEqual([
      'get_run',
      'list_approvals',
      'list_workflows',
      'start_expense',
      'start_greet',
    ]);
    const { workflows } = await ok<{
      workflows: { name: string; startTool: string; description: string | null }[];
    }>(client, 'list_workflows');
    expect(workflows.find((w) => w.name === 'greet')).toMatchObject({
      startTool: 'start_greet',
      description: 'Greets someone loudly',
    });

    const started = await ok<{ runId: string; status: string }>(client, 'start_greet', { name: 'Ada' });
    expect(started.runId).toEqual(expect.any(String));
    const run = await ok<{ status: string; output: unknown; steps: { id: string; status: string }[] }>(
      client,
      'get_run',
      { run_id: started.runId, wait_seconds: 20 },
    );
    expect(run.status).toBe('succeeded');
    expect(JSON.stringify(run.output)).toContain('HELLO ADA');
    expect(run.steps.map((s) => [s.id, s.status])).toEqual([
      ['hello', 'succeeded'],
      ['shout', 'succeeded'],
    ]);
    expect(
      (await fails(client, 'decide_approval', { run_id: started.runId, step_id: 'x', decision: 'approve' }))
        .code,
    ).toBe('FORBIDDEN');

    // The step's console.log went to stderr, and nothing but JSON-RPC to stdout.
    await until('the step log on stderr', async () => stderr().includes('saying hello to Ada'));
    expect(errors).toEqual([]);

    // The run belongs to the host's tenant.
    const baton = await Baton.open({ dataDir: temp.dir, durability: 'normal' });
    try {
      expect((await baton.getRun(started.runId)).tenant).toBe('acme');
    } finally {
      await baton.close();
    }
  });

  it('offers workflows registered by another process, announcing them with list_changed', async () => {
    const temp = tempDir('baton-mcp-stdio-');
    cleanups.push(temp.cleanup);
    const { client, errors } = await spawnMcp(temp.dir, ['--role', 'developer', '--role', 'approver']);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    expect(await toolNames(client)).toContain('decide_approval');

    const { functions } = await import('./fixtures/baton.config.js');
    const other = await Baton.open({ dataDir: temp.dir, durability: 'normal', functions });
    try {
      await other.register({
        name: 'double',
        version: '1',
        input: { type: 'object', required: ['value'], properties: { value: { type: 'number' } } },
        steps: [{ id: 'twice', kind: 'fn', fn: 'double', input: '$input' }],
      });
    } finally {
      await other.close();
    }

    const tools = (await client.listTools()).tools;
    const double = tools.find((t) => t.name === 'start_double');
    expect(double?.inputSchema).toMatchObject({ type: 'object', required: ['value'] });
    await until('tools/list_changed', async () => changed > 0);

    const { runId } = await ok<{ runId: string }>(client, 'start_double', { value: 21 });
    const run = await ok<{ status: string; output: unknown }>(client, 'get_run', {
      run_id: runId,
      wait_seconds: 20,
    });
    expect(run.status).toBe('succeeded');
    expect(JSON.stringify(run.output)).toContain('42');
    expect((await fails(client, 'start_double', { value: 'x' })).code).toBe('INVALID_INPUT');
    expect(errors).toEqual([]);
  });
});
