/**
 * `GET /v1/runs/{id}/steps/{stepId}`: a step's node, attempts and model calls (from a real SQLite
 * gateway ledger's request log), within the caller's tenant only.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Gateway } from '../../src/gateway/gateway.js';
import { openSqliteLedger } from '../../src/gateway/ledger/index.js';
import type { RequestLogEntry } from '../../src/gateway/ledger/port.js';
import { tempDir } from '../temp-dir.js';
import { until } from '../until.js';
import { useApiHarness } from './api-harness.js';

const open = useApiHarness();

function logEntry(over: Partial<RequestLogEntry> & Pick<RequestLogEntry, 'id' | 'at'>): RequestLogEntry {
  return {
    tenant: 'acme',
    route: 'fast',
    target: 'mock/fast-1',
    endpoint: 'chat',
    stream: false,
    status: 'ok',
    inputTokens: 100,
    outputTokens: 20,
    cachedInputTokens: 40,
    reasoningTokens: 5,
    costUsd: 0.002,
    latencyMs: 120,
    cacheHit: false,
    retries: 0,
    fallbacks: 0,
    ...over,
  };
}

it("answers a step's node, attempts and model calls with cached and reasoning tokens", async () => {
  const h = await open();
  const dir = tempDir();
  const ledger = await openSqliteLedger({ path: join(dir.dir, 'gateway.db') });
  const gateway = Gateway.open({ config: {}, ledger });
  try {
    // The harness builds its context without a gateway; routes read it per request.
    h.ctx.gateway = gateway;
    const viewer = await h.keyFor('viewer');
    const run = await h.baton.submit('echo', { n: 1 }, { tenant: 'acme' });
    await h.baton.waitForRun(run.id, { timeoutMs: 10_000 });
    await ledger.appendRequests([
      logEntry({
        id: 'r1',
        at: 1000,
        runId: run.id,
        stepId: 'echo',
        request: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
        response: '{"truncated',
      }),
      logEntry({ id: 'r2', at: 2000, runId: run.id, stepId: 'echo', status: 'error', errorCode: 'X' }),
      logEntry({ id: 'r3', at: 3000, runId: run.id, stepId: 'other' }),
      logEntry({ id: 'r4', at: 4000, runId: run.id, stepId: 'echo', tenant: 'globex' }),
    ]);

    const res = await h.json<{
      state: { status: string; output: unknown };
      node: { id: string; kind: string };
      attempts: { attempt: number; status: string; item: number }[];
      modelCalls: { id: string; request?: unknown; response?: unknown; cachedInputTokens: number }[];
      usage: Record<string, number>;
    }>('GET', `/v1/runs/${run.id}/steps/echo`, { key: viewer });
    expect(res.status).toBe(200);
    expect(res.body.state).toMatchObject({ status: 'succeeded', output: { echoed: { n: 1 } } });
    expect(res.body.node).toMatchObject({ id: 'echo', kind: 'fn' });
    expect(res.body.attempts).toEqual([
      expect.objectContaining({ attempt: 1, status: 'succeeded', item: -1 }),
    ]);
    // Oldest first; another step's and another tenant's calls are left out.
    expect(res.body.modelCalls.map((m) => m.id)).toEqual(['r1', 'r2']);
    expect(res.body.modelCalls[0]?.request).toEqual({ messages: [{ role: 'user', content: 'hi' }] });
    expect(res.body.modelCalls[0]?.response).toBe('{"truncated');
    expect(res.body.usage).toMatchObject({
      calls: 2,
      errors: 1,
      inputTokens: 200,
      outputTokens: 40,
      cachedInputTokens: 80,
      reasoningTokens: 10,
    });
    expect(res.body.usage.costUsd).toBeCloseTo(0.004);

    const unknown = await h.json<{ error: { code: string } }>('GET', `/v1/runs/${run.id}/steps/nope`, {
      key: viewer,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('STEP_NOT_FOUND');

    const stranger = await h.keyFor('admin', 'globex');
    const other = await h.json<{ error: { code: string } }>('GET', `/v1/runs/${run.id}/steps/echo`, {
      key: stranger,
    });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('RUN_NOT_FOUND');
  } finally {
    await gateway.close();
    await ledger.close();
    dir.cleanup();
  }
});

it('answers a step not yet scheduled from the graph, with no attempts and no model calls', async () => {
  const h = await open();
  const key = await h.keyFor('operator');
  const run = await h.baton.submit('waiter', {}, { tenant: 'acme' });
  await until('the run waits', async () => (await h.baton.getRun(run.id)).status === 'waiting');
  const res = await h.json<{
    state?: unknown;
    node: { id: string };
    attempts: unknown[];
    modelCalls: unknown[];
  }>('GET', `/v1/runs/${run.id}/steps/done`, { key });
  expect(res.status).toBe(200);
  expect(res.body.node).toMatchObject({ id: 'done', needs: ['wait'] });
  expect(res.body.attempts).toEqual([]);
  expect(res.body.modelCalls).toEqual([]);
});
