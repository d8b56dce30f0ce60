/**
 * Baton's MCP server over Streamable HTTP on a real loopback socket: bearer tokens, roles and
 * tenants, driven by the SDK's `Client`, on a real SQLite store.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { workflow } from '../../src/core/builder.js';
import type { McpIdentity } from '../../src/mcp-server/access.js';
import { mcpHttpHandler } from '../../src/mcp-server/http.js';
import { Baton } from '../../src/runtime/baton.js';
import { tempDir } from '../temp-dir.js';
import { until } from '../until.js';
import { expense, greet } from './fixtures/baton.config.js';
import { call, fails, ok, toolNames } from './helpers.js';

const TOKENS: Record<string, McpIdentity> = {
  'acme-viewer': { subject: 'vera', tenant: 'acme', roles: ['viewer'] },
  'acme-dev': { subject: 'dan', tenant: 'acme', roles: ['developer'] },
  'acme-approver': { subject: 'alice', tenant: 'acme', roles: ['approver'] },
  'globex-admin': { subject: 'gus', tenant: 'globex', roles: ['admin'] },
};

let baton: Baton;
let url: string;
let stopServer: () => Promise<void>;
const temp = tempDir('baton-mcp-http-');
const clients: Client[] = [];

beforeAll(async () => {
  baton = await Baton.open({ dataDir: temp.dir, durability: 'normal' });
  await baton.register(greet);
  await baton.register(expense);
  baton.worker({ leaseMs: 2000 });
  const handler = mcpHttpHandler(baton, { authenticate: (token) => (token ? TOKENS[token] : undefined) });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: handler, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  stopServer = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    (server as import('node:http').Server).closeAllConnections();
    await closed;
  };
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await stopServer();
  await baton.close();
  temp.cleanup();
});

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: `host-${token}`, version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

function post(body: string, token?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body,
  });
}

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

describe('MCP over streamable HTTP', () => {
  it('answers 401 without a known bearer token, and 405 to GET (no sessions)', async () => {
    const anonymous = await post(initialize);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect((await post(initialize, 'nope')).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer acme-dev' } })).status).toBe(405);
  });

  it('survives malformed requests', async () => {
    const garbage = await post('{not json', 'acme-dev');
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { error: { code: number } }).error.code).toBe(-32700);
    const unknown = await post(
      JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'no/such', params: {} }),
      'acme-dev',
    );
    expect(unknown.status).toBeLessThan(500);
    // The process and the server are still there.
    expect(await toolNames(await connect('acme-dev'))).toContain('start_greet');
  });

  it('lists for a viewer only what it may use, and refuses the rest with FORBIDDEN', async () => {
    const viewer = await connect('acme-viewer');
    expect(await toolNames(viewer)).toEqual(['get_run', 'list_approvals', 'list_workflows']);
    const refused = await fails(viewer, 'start_greet', { name: 'Vera' });
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.hint).toContain('developer');
    // Refused as forbidden before its arguments are even looked at.
    expect((await fails(viewer, 'decide_approval', {})).code).toBe('FORBIDDEN');
    expect((await baton.listRuns({ tenant: 'acme', workflow: 'greet' })).length).toBe(0);
  });

  it('lets a developer start a run and an approver decide its approval, recorded as the approver', async () => {
    const dev = await connect('acme-dev');
    const approver = await connect('acme-approver');
    expect(await toolNames(approver)).toEqual([
      'decide_approval',
      'get_run',
      'list_approvals',
      'list_workflows',
    ]);

    const listed = (await dev.listTools()).tools.find((t) => t.name === 'start_expense');
    expect(listed?.inputSchema).toMatchObject({
      type: 'object',
      properties: { amount: { type: 'number' }, idempotency_key: { type: 'string' } },
      required: ['amount'],
    });
    const started = await ok<{ runId: string; status: string; version: string }>(dev, 'start_expense', {
      amount: 42,
    });
    expect(started.version).toBe('expense@1');
    expect((await baton.getRun(started.runId)).tenant).toBe('acme');

    type Approval = {
      runId: string;
      stepId: string;
      prompt: string;
      data: unknown;
      role?: string;
      ageSeconds: number;
    };
    const approval = await until('the approval to be listed', async () => {
      const { approvals } = await ok<{ approvals: Approval[] }>(approver, 'list_approvals');
      return approvals.find((a) => a.runId === started.runId);
    });
    expect(approval).toMatchObject({
      stepId: 'managerApproval',
      prompt: 'Approve an expense of 42?',
      data: { amount: 42 },
      role: 'manager',
      ageSeconds: expect.any(Number),
    });

    const decided = await ok(approver, 'decide_approval', {
      run_id: started.runId,
      step_id: 'managerApproval',
      decision: 'approve',
      comment: 'fine',
      data: { amount: 40 },
    });
    expect(decided).toMatchObject({ approved: true, by: 'alice' });
    const run = await ok<{ status: string; output: unknown }>(dev, 'get_run', {
      run_id: started.runId,
      wait_seconds: 20,
    });
    expect(run.status).toBe('succeeded');
    expect(JSON.stringify(run.output)).toContain('"by":"alice"');
    expect(JSON.stringify(run.output)).toContain('"amount":40');
    // Deciding again: the run is over.
    const again = await fails(approver, 'decide_approval', {
      run_id: started.runId,
      step_id: 'managerApproval',
      decision: 'reject',
    });
    expect(again.code).toBe('RUN_ALREADY_FINISHED');
  });

  it("never shows a tenant another tenant's runs", async () => {
    const dev = await connect('acme-dev');
    const admin = await connect('globex-admin');
    const { runId } = await ok<{ runId: string }>(dev, 'start_expense', { amount: 7 });
    await until('the acme run to wait', async () => (await baton.getRun(runId)).status === 'waiting');

    const foreign = await fails(admin, 'get_run', { run_id: runId });
    const missing = await fails(admin, 'get_run', { run_id: 'run_does_not_exist' });
    expect(foreign.code).toBe('RUN_NOT_FOUND');
    expect(foreign.message.replace(runId, 'ID')).toBe(missing.message.replace('run_does_not_exist', 'ID'));
    expect(
      (
        await fails(admin, 'decide_approval', {
          run_id: runId,
          step_id: 'managerApproval',
          decision: 'approve',
        })
      ).code,
    ).toBe('RUN_NOT_FOUND');
    const { approvals } = await ok<{ approvals: { runId: string }[] }>(admin, 'list_approvals');
    expect(approvals.map((a) => a.runId)).not.toContain(runId);
    expect((await baton.getRun(runId)).status).toBe('waiting');

    // The same idempotency key in two tenants makes two runs, each in its own tenant.
    const a = await ok<{ runId: string }>(dev, 'start_greet', { name: 'A', idempotency_key: 'k1' });
    const again = await ok<{ runId: string }>(dev, 'start_greet', { name: 'A', idempotency_key: 'k1' });
    const g = await ok<{ runId: string }>(admin, 'start_greet', { name: 'A', idempotency_key: 'k1' });
    expect(again.runId).toBe(a.runId);
    expect(g.runId).not.toBe(a.runId);
    expect((await baton.getRun(g.runId)).tenant).toBe('globex');
  });

  it('turns bad arguments into tool errors with the offending fields', async () => {
    const dev = await connect('acme-dev');
    const missing = await fails(dev, 'get_run', {});
    expect(missing.code).toBe('INVALID_ARGUMENT');
    expect(missing.details).toMatchObject({ issues: [{ path: 'run_id' }] });
    expect((await fails(dev, 'get_run', { run_id: 'x', wait_seconds: 3600 })).code).toBe('INVALID_ARGUMENT');
    expect((await fails(dev, 'list_approvals', { limit: 'ten' })).code).toBe('INVALID_ARGUMENT');
    const input = await fails(dev, 'start_expense', { amount: -1 });
    expect(input.code).toBe('INVALID_INPUT');
    expect(input.details).toMatchObject({ issues: [{ path: 'amount' }] });
    expect((await fails(dev, 'start_greet', { name: 'x', idempotency_key: 5 })).code).toBe(
      'INVALID_ARGUMENT',
    );
    const unknown = await call(dev, 'start_nothing', {});
    expect(unknown.isError).toBe(true);
  });

  it('offers a workflow registered after the server started', async () => {
    const dev = await connect('acme-dev');
    expect(await toolNames(dev)).not.toContain('start_later');
    await baton.register(
      workflow({ name: 'later', version: '1', input: z.object({}) })
        .step('done', { run: () => 'done' })
        .build(),
    );
    expect(await toolNames(dev)).toContain('start_later');
    const { runId } = await ok<{ runId: string }>(dev, 'start_later', {});
    expect((await ok<{ status: string }>(dev, 'get_run', { run_id: runId, wait_seconds: 20 })).status).toBe(
      'succeeded',
    );

    // An input that is not an object is passed as the `input` argument.
    await baton.register(
      workflow({ name: 'echo', version: '1', input: z.string() })
        .step('say', { run: ({ input }) => `said ${input}` })
        .build(),
    );
    const echo = (await dev.listTools()).tools.find((t) => t.name === 'start_echo');
    expect(echo?.inputSchema).toMatchObject({
      properties: { input: { type: 'string' } },
      required: ['input'],
    });
    const said = await ok<{ runId: string }>(dev, 'start_echo', { input: 'hi' });
    const run = await ok<{ output: unknown }>(dev, 'get_run', { run_id: said.runId, wait_seconds: 20 });
    expect(JSON.stringify(run.output)).toContain('said hi');
    expect((await fails(dev, 'start_echo', { input: 3 })).code).toBe('INVALID_INPUT');
  });
});
