/**
 * `/metrics` values after a known set of runs, model calls and tool calls: a real engine (SQLite), a
 * real gateway over a fake upstream, tool calls audited in a real agent store in the engine's file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openAgentStore } from '../../src/agents/enable-agents.js';
import { StoreToolAuditSink } from '../../src/agents/state/index.js';
import type { AgentStore } from '../../src/agents/state/port.js';
import { workflow } from '../../src/core/builder.js';
import type { Baton } from '../../src/runtime/baton.js';
import { type BatonMetrics, createMetrics, type MetricsOptions } from '../../src/telemetry/metrics/index.js';
import { defineTool } from '../../src/tools/define-tool.js';
import { ToolRegistry } from '../../src/tools/tool-registry.js';
import { useFakeModel } from '../gateway/harness.js';
import { type TestBaton, useEngines } from '../helpers.js';
import { until } from '../until.js';
import { type Exposition, parseExposition } from './exposition.js';

const engine = useEngines();
const fake = useFakeModel();
const fast = { initialDelayMs: 1, maxDelayMs: 2, jitter: 0 };
const MODEL = 'openai/gpt-4o-mini';

let open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of open.reverse()) await o.close();
  open = [];
});

function metricsOf(options: MetricsOptions): BatonMetrics {
  const metrics = createMetrics({ cacheMs: 0, ...options });
  open.push(metrics);
  return metrics;
}

async function scrape(metrics: BatonMetrics): Promise<Exposition> {
  return parseExposition(await metrics.metrics());
}

/** The agent store where Baton keeps it: in the engine's SQLite file or Postgres schema. */
async function agentStoreBeside(b: TestBaton): Promise<AgentStore> {
  const { dataDir, databaseUrl, databaseSchema } = b.where;
  const store = await openAgentStore(
    databaseUrl === undefined
      ? { dataDir: dataDir as string }
      : { databaseUrl, ...(databaseSchema === undefined ? {} : { databaseSchema }) },
  );
  open.push(store);
  return store;
}

/** `ok` (a model call per run), `flaky` (fails every attempt: 2 retries), `gated` (waits for approval). */
async function registerWorkflows(b: Baton): Promise<void> {
  await b.register(
    workflow({ name: 'ok', version: '1', input: z.object({}) })
      .step('ask', {
        run: async (ctx) => {
          const { response } = await fake.gw.gateway
            .forRun(ctx.run)
            .chat({ model: 'fast', messages: [{ role: 'user', content: 'hello' }] });
          return response.choices[0]?.message.content;
        },
      })
      .build(),
  );
  await b.register(
    workflow({ name: 'flaky', version: '1', input: z.object({}) })
      .step('s', {
        retry: { ...fast, maxAttempts: 3 },
        run: () => {
          throw new Error('always');
        },
      })
      .build(),
  );
  await b.register(
    workflow({ name: 'gated', version: '1', input: z.object({}) })
      .approval('review', { prompt: 'Go?', timeout: '1h' })
      .build(),
  );
}

describe('createMetrics after a known set of runs, model calls and tool calls', () => {
  it('reports exact values of every family', async () => {
    const b = await engine();
    await registerWorkflows(b);
    const agents = await agentStoreBeside(b);
    const audit = new StoreToolAuditSink(agents, { intervalMs: 1 });
    let ticks = 0;
    const tools = new ToolRegistry({
      audit,
      now: () => {
        ticks += 5;
        return ticks;
      },
      retry: { attempts: 1, baseMs: 1, maxMs: 1 },
    });
    tools.register(
      defineTool({
        name: 'lookup',
        description: 'Looks up.',
        input: z.object({ q: z.string() }),
        handler: ({ q }) => ({ found: q }),
      }),
      defineTool({
        name: 'explode',
        description: 'Fails.',
        input: z.object({}),
        handler: () => {
          throw new Error('kaboom');
        },
      }),
    );
    const gateway = fake.gw.gateway;
    const metrics = metricsOf({ baton: b, gateway, tools });

    fake.up.setScript({ text: 'hi', usage: { inputTokens: 10, outputTokens: 5 } });
    b.worker({ pollMs: 5 });
    const runs = await Promise.all([
      b.submit('ok', {}),
      b.submit('ok', {}),
      b.submit('flaky', {}),
      b.submit('gated', {}, { tenant: 'beta' }),
    ]);
    const [ok1, ok2, flaky, gated] = runs as [
      (typeof runs)[0],
      (typeof runs)[0],
      (typeof runs)[0],
      (typeof runs)[0],
    ];
    const finished = await Promise.all([ok1, ok2, flaky].map((r) => b.waitForRun(r.id)));
    expect(finished.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'failed']);
    await until('the approval to wait', async () => (await b.getRun(gated.id)).status === 'waiting');

    // Outside any run: a streamed call, a budget refusal, and a provider failure.
    const stream = await gateway.chatStream(
      { model: 'fast', messages: [{ role: 'user', content: 'stream' }], stream: true },
      { tenant: 'acme' },
    );
    for await (const _ of stream) {
      // drained
    }
    const refused = await gateway
      .chat(
        { model: 'fast', messages: [{ role: 'user', content: 'x' }] },
        { tenant: 'acme', run: { id: 'no-such-run', budgetUsd: 1e-12 } },
      )
      .catch((e: { code: string }) => e);
    expect(refused).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    fake.up.fault({ status: 400, message: 'bad' }, { times: 1 });
    const failure = (await gateway
      .chat({ model: 'fast', messages: [{ role: 'user', content: 'y' }] }, { tenant: 'acme' })
      .catch((e: { code: string }) => e)) as { code: string };
    expect(failure.code).toBeTypeOf('string');

    const granted = tools.forGrant(['lookup', 'explode']);
    const context = { runId: ok1.id, tenant: 'default' };
    expect((await granted.call('lookup', { q: 'a' }, context)).ok).toBe(true);
    expect((await granted.call('lookup', { q: 'b' }, context)).ok).toBe(true);
    expect((await granted.call('explode', {}, context)).ok).toBe(false);
    expect((await tools.forGrant(['lookup']).call('explode', {}, context)).ok).toBe(false);

    await gateway.flush();
    await audit.close();
    const m = await scrape(metrics);

    // Runs.
    expect(m.value('baton_runs_finished_total', { workflow: 'ok', status: 'succeeded' })).toBe(2);
    expect(m.value('baton_runs_finished_total', { workflow: 'flaky', status: 'failed' })).toBe(1);
    expect(m.series('baton_runs_finished_total')).toHaveLength(2);
    expect(m.value('baton_runs_active', { workflow: 'gated', status: 'waiting' })).toBe(1);
    expect(m.series('baton_runs_active')).toHaveLength(1);
    const durations = finished.map((r) => ((r.finishedAt as number) - r.createdAt) / 1000);
    expect(m.value('baton_run_duration_seconds_count', { workflow: 'ok', status: 'succeeded' })).toBe(2);
    expect(m.value('baton_run_duration_seconds_sum', { workflow: 'ok', status: 'succeeded' })).toBeCloseTo(
      (durations[0] as number) + (durations[1] as number),
      9,
    );
    expect(
      m.value('baton_run_duration_seconds_bucket', { workflow: 'flaky', status: 'failed', le: '+Inf' }),
    ).toBe(1);
    expect(m.value('baton_step_duration_seconds_count', { workflow: 'ok', status: 'succeeded' })).toBe(2);
    expect(m.value('baton_step_duration_seconds_count', { workflow: 'flaky', status: 'failed' })).toBe(1);
    expect(m.value('baton_step_retries_total', { workflow: 'flaky' })).toBe(2);
    expect(m.series('baton_step_retries_total')).toHaveLength(1);
    expect(m.series('baton_lease_takeovers_total')).toHaveLength(0);
    expect(m.value('baton_queue_depth')).toBe(0);
    expect(m.value('baton_queue_oldest_age_seconds')).toBe(0);
    expect(m.value('baton_tasks_leased')).toBe(0);
    expect(m.value('baton_workers_alive')).toBe(1);

    // Model calls: 2 in runs of `ok`, 1 streamed outside runs, 1 refused for budget, 1 failed upstream.
    expect(m.value('baton_model_requests_total', { model: MODEL, tenant: 'default', status: 'ok' })).toBe(2);
    expect(m.value('baton_model_requests_total', { model: MODEL, tenant: 'acme', status: 'ok' })).toBe(1);
    expect(m.value('baton_model_requests_total', { model: 'fast', tenant: 'acme', status: 'error' })).toBe(1);
    expect(m.value('baton_model_requests_total', { model: MODEL, tenant: 'acme', status: 'error' })).toBe(1);
    expect(m.value('baton_budget_refusals_total', { tenant: 'acme' })).toBe(1);
    expect(m.value('baton_model_errors_total', { model: 'fast', code: 'BUDGET_EXCEEDED' })).toBe(1);
    expect(m.value('baton_model_errors_total', { model: MODEL, code: failure.code })).toBe(1);
    const okTokens = { workflow: 'ok', model: MODEL, tenant: 'default' };
    expect(m.value('baton_model_tokens_total', { ...okTokens, type: 'input' })).toBe(20);
    expect(m.value('baton_model_tokens_total', { ...okTokens, type: 'output' })).toBe(10);
    // gpt-4o-mini: $0.15 in and $0.60 out per million tokens.
    expect(m.value('baton_model_cost_usd_total', okTokens)).toBeCloseTo(
      (2 * (10 * 0.15 + 5 * 0.6)) / 1e6,
      15,
    );
    expect(
      m.value('baton_model_tokens_total', { workflow: 'none', model: MODEL, tenant: 'acme', type: 'input' }),
    ).toBeGreaterThan(0);
    expect(m.value('baton_model_latency_seconds_count', { model: MODEL })).toBe(3);
    expect(m.value('baton_model_ttft_seconds_count', { model: MODEL })).toBe(1);
    const log = (await gateway.ledger.listRequests({ runId: ok1.id })).entries;
    expect(log).toHaveLength(1);

    // Tools: audited rows are the reference for durations (the registry's clock ticks 5 ms a reading).
    expect(m.value('baton_tool_calls_total', { tool: 'lookup', outcome: 'ok' })).toBe(2);
    expect(m.value('baton_tool_calls_total', { tool: 'explode', outcome: 'error' })).toBe(1);
    expect(m.value('baton_tool_calls_total', { tool: 'explode', outcome: 'refused' })).toBe(1);
    const rows = await agents.listAudit({ type: 'tool' });
    const codes = rows.filter((r) => r.outcome !== 'ok').map((r) => String(r.data.errorCode));
    for (const code of new Set(codes))
      expect(m.value('baton_tool_errors_total', { tool: 'explode', code })).toBe(
        codes.filter((c) => c === code).length,
      );
    const lookupMs = rows
      .filter((r) => r.subject === 'lookup')
      .reduce((s, r) => s + Number(r.data.durationMs), 0);
    expect(m.value('baton_tool_duration_seconds_count', { tool: 'lookup' })).toBe(2);
    expect(m.value('baton_tool_duration_seconds_sum', { tool: 'lookup' })).toBeCloseTo(lookupMs / 1000, 9);
    expect(m.value('baton_tool_duration_seconds_count', { tool: 'explode' })).toBe(1);

    // Breakers, read in-process.
    const target = gateway.targets().find((t) => t.target === MODEL);
    expect(
      m.value('baton_circuit_breaker_state', {
        kind: 'model',
        name: MODEL,
        state: target?.breaker as string,
      }),
    ).toBe(1);
    expect(m.series('baton_circuit_breaker_state').filter((s) => s.labels.name === MODEL)).toHaveLength(4);
    expect(m.value('baton_circuit_breaker_state', { kind: 'tool', name: 'lookup', state: 'closed' })).toBe(1);
    expect(m.value('baton_circuit_breaker_state', { kind: 'tool', name: 'lookup', state: 'open' })).toBe(0);

    // Families are typed and named by the conventions; no label carries a run id.
    expect(m.types.get('baton_runs_finished_total')).toBe('counter');
    expect(m.types.get('baton_run_duration_seconds')).toBe('histogram');
    expect(m.types.get('baton_queue_depth')).toBe('gauge');
    const ids = new Set(runs.map((r) => r.id));
    for (const s of m.samples) for (const v of Object.values(s.labels)) expect(ids.has(v)).toBe(false);
  });

  it('caps the distinct values of a label, folding the rest into other', async () => {
    const b = await engine();
    for (let i = 0; i < 5; i++)
      await b.register(
        workflow({ name: `w${i}`, version: '1', input: z.object({}) })
          .step('s', { run: () => i })
          .build(),
      );
    const metrics = metricsOf({ baton: b, maxLabelValues: 3 });
    b.worker({ pollMs: 5 });
    // Values are admitted first come: the first scrape sees w0 to w2 only, the next one w3 and w4.
    for (let i = 0; i < 3; i++) await b.waitForRun((await b.submit(`w${i}`, {})).id);
    expect((await scrape(metrics)).series('baton_runs_finished_total')).toHaveLength(3);
    for (let i = 3; i < 5; i++) await b.waitForRun((await b.submit(`w${i}`, {})).id);
    const m = await scrape(metrics);
    const runs = m.series('baton_runs_finished_total');
    expect(runs.map((s) => s.labels.workflow).sort()).toEqual(['other', 'w0', 'w1', 'w2']);
    for (const s of m.samples)
      if ('workflow' in s.labels) expect(['w3', 'w4']).not.toContain(s.labels.workflow);
    expect(m.value('baton_runs_finished_total', { workflow: 'other', status: 'succeeded' })).toBe(2);
    expect(m.value('baton_run_duration_seconds_count', { workflow: 'other', status: 'succeeded' })).toBe(2);
    // A value admitted once keeps its series; new ones still fold.
    await b.register(
      workflow({ name: 'late', version: '1', input: z.object({}) })
        .step('s', { run: () => 0 })
        .build(),
    );
    await b.waitForRun((await b.submit('late', {})).id);
    await b.waitForRun((await b.submit('w0', {})).id);
    const again = await scrape(metrics);
    expect(again.value('baton_runs_finished_total', { workflow: 'other', status: 'succeeded' })).toBe(3);
    expect(again.value('baton_runs_finished_total', { workflow: 'w0', status: 'succeeded' })).toBe(2);
  });

  it('keeps counts read once settled, without counting them twice or losing them to a prune', async () => {
    const b = await engine();
    await registerWorkflows(b);
    let shift = 0;
    const metrics = metricsOf({ baton: b, now: () => Date.now() + shift, window: { settleMs: 60_000 } });
    b.worker({ pollMs: 5 });
    await b.waitForRun((await b.submit('flaky', {})).id);
    const before = await scrape(metrics);
    expect(before.value('baton_runs_finished_total', { workflow: 'flaky', status: 'failed' })).toBe(1);
    expect(before.value('baton_step_retries_total', { workflow: 'flaky' })).toBe(2);

    shift = 10 * 60_000;
    // Two scrapes at once, then one more: the settled part is kept once.
    const scrapes = await Promise.all([scrape(metrics), scrape(metrics)]);
    scrapes.push(await scrape(metrics));
    for (const settled of scrapes) {
      expect(settled.value('baton_runs_finished_total', { workflow: 'flaky', status: 'failed' })).toBe(1);
      expect(settled.value('baton_step_retries_total', { workflow: 'flaky' })).toBe(2);
      expect(settled.value('baton_run_duration_seconds_count', { workflow: 'flaky', status: 'failed' })).toBe(
        1,
      );
    }
    expect((await b.prune(Date.now() + 1)).runs).toBe(1);
    const pruned = await scrape(metrics);
    expect(pruned.value('baton_runs_finished_total', { workflow: 'flaky', status: 'failed' })).toBe(1);
  });

  it('counts only what happened since `window.since` (the exporter start by default), or everything with 0', async () => {
    const b = await engine();
    await registerWorkflows(b);
    b.worker({ pollMs: 5 });
    const before = await b.waitForRun((await b.submit('flaky', {})).id);
    // The exporter starts in the very millisecond the run finished (stores stamp milliseconds): that run
    // happened before the start and is not counted, whatever the machine's speed.
    const start = before.finishedAt as number;
    let clock = start;
    const fromNow = metricsOf({ baton: b, now: () => clock });
    const everything = metricsOf({ baton: b, window: { since: 0 } });
    expect((await scrape(fromNow)).series('baton_runs_finished_total')).toHaveLength(0);
    expect((await scrape(fromNow)).series('baton_step_retries_total')).toHaveLength(0);
    expect(
      (await scrape(everything)).value('baton_runs_finished_total', { workflow: 'flaky', status: 'failed' }),
    ).toBe(1);
    expect((await scrape(everything)).value('baton_step_retries_total', { workflow: 'flaky' })).toBe(2);
    // A run after the start counts (its retries wait at least a millisecond each, so it ends later).
    const after = await b.waitForRun((await b.submit('flaky', {})).id);
    expect(after.finishedAt).toBeGreaterThan(start);
    clock = after.finishedAt as number;
    const m = await scrape(fromNow);
    expect(m.value('baton_runs_finished_total', { workflow: 'flaky', status: 'failed' })).toBe(1);
    expect(m.value('baton_step_retries_total', { workflow: 'flaky' })).toBe(2);
  });
});
