/**
 * Workflow steps calling the gateway in-process, with their run's context: a real engine on SQLite,
 * a real gateway, the fake OpenAI upstream. The spend lands on the run, the request log names it,
 * and a run budget stops the step's second call before anything is sent.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { workflow } from '../../src/core/builder.js';
import { useEngines } from '../helpers.js';
import { useFakeModel } from './harness.js';

const engine = useEngines();
const fake = useFakeModel();

describe('workflow steps through the gateway', () => {
  it("charges a step's model calls to its run and tenant", async () => {
    fake.up.setScript({ text: 'a short summary', usage: { inputTokens: 1_000, outputTokens: 200 } });
    const b = await engine();
    const wf = workflow({ name: 'summarize', version: '1', input: z.object({ text: z.string() }) })
      .step('summary', {
        run: async (ctx) => {
          const { response, meta } = await fake.gw.gateway
            .forRun(ctx.run, { signal: ctx.signal })
            .chat({ model: 'fast', messages: [{ role: 'user', content: `Summarize: ${ctx.input.text}` }] });
          return { text: response.choices[0]?.message.content, costUsd: meta.costUsd };
        },
      })
      .output(({ steps }) => steps.summary);
    await b.register(wf);
    b.worker();
    const run = await b.submit('summarize', { text: 'a long text' }, { tenant: 'acme' });
    const done = await b.waitForRun(run.id);
    expect(done.status).toBe('succeeded');
    const cost = (1_000 * 0.15 + 200 * 0.6) / 1e6;
    expect(done.output).toEqual({ text: 'a short summary', costUsd: expect.closeTo(cost, 12) });
    await fake.gw.gateway.flush();
    expect(await fake.gw.ledger.spentSince('run', run.id, 0)).toBeCloseTo(cost, 12);
    expect(await fake.gw.ledger.spentSince('tenant', 'acme', 0)).toBeGreaterThanOrEqual(cost - 1e-12);
    const logged = (await fake.gw.ledger.listRequests({ runId: run.id })).entries;
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ tenant: 'acme', runId: run.id, route: 'fast', status: 'ok' });
  });

  it("stops a step's call that would cross its run budget, before anything is sent", async () => {
    fake.up.setScript({ text: 'ok', usage: { inputTokens: 1_000, outputTokens: 1_000 } });
    const b = await engine();
    const wf = workflow({ name: 'two-calls', version: '1', input: z.object({}) })
      .step('calls', {
        retry: { maxAttempts: 1 },
        run: async (ctx) => {
          const models = fake.gw.gateway.forRun({ ...ctx.run, budgetUsd: 0.001 });
          await models.chat({
            model: 'fast',
            max_tokens: 1_000,
            messages: [{ role: 'user', content: 'one' }],
          });
          await models.chat({
            model: 'fast',
            max_tokens: 1_000,
            messages: [{ role: 'user', content: 'two' }],
          });
          return 'both';
        },
      })
      .output(({ steps }) => steps.calls);
    await b.register(wf);
    b.worker();
    const before = fake.up.requests.length;
    const run = await b.submit('two-calls', {});
    const done = await b.waitForRun(run.id);
    expect(done.status).toBe('failed');
    expect(JSON.stringify(done.error)).toContain('BUDGET_EXCEEDED');
    expect(fake.up.requests.length - before).toBe(1);
  });
});
