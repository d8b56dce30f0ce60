/**
 * The `tool` step kind on a real engine: one tool call through the tool hub, its input from the
 * run, audited with the run and step; the engine retries transient failures of tools without effects
 * and never re-runs a failed effect.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toolCall, toolKind } from '../../src/agents/tool-step.js';
import { workflow } from '../../src/core/builder.js';
import type { WorkflowDefinition } from '../../src/core/definition.js';
import { MemoryToolAuditSink } from '../../src/tools/audit.js';
import { defineTool } from '../../src/tools/define-tool.js';
import type { ToolRegistry } from '../../src/tools/tool-registry.js';
import { useEngines } from '../helpers.js';
import { toolRegistry } from './tool-registry.js';

const engine = useEngines();

function hub() {
  const audit = new MemoryToolAuditSink();
  const calls = { lookup: 0, charge: 0, flaky: 0 };
  const registry = toolRegistry(audit);
  registry.register(
    defineTool({
      name: 'lookup_order',
      description: 'Finds an order.',
      input: z.object({ id: z.string().min(1) }),
      handler: ({ id }) => {
        calls.lookup += 1;
        return { id, total: 42, email: 'ada@example.com' };
      },
    }),
    defineTool({
      name: 'charge_card',
      description: 'Charges a card.',
      input: z.object({ amount: z.number() }),
      effect: true,
      handler: () => {
        calls.charge += 1;
        throw new Error('gateway down');
      },
    }),
    defineTool({
      name: 'flaky_quote',
      description: 'Quotes a price, failing twice first.',
      input: z.object({}),
      handler: () => {
        calls.flaky += 1;
        if (calls.flaky < 3) throw new Error('try again');
        return { price: 9 };
      },
    }),
  );
  return { registry, audit, calls };
}

const fast = { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2, jitter: 0 };

async function start(registry: ToolRegistry, wf: WorkflowDefinition) {
  const b = await engine({ kinds: [toolKind(registry)] });
  await b.register(wf);
  b.worker();
  return b;
}

describe('tool steps', () => {
  it('calls the tool with input from the run and returns its result, audited with the run and step', async () => {
    const { registry, audit } = hub();
    const wf = workflow({ name: 'orders', version: '1', input: z.object({ order: z.string() }) })
      .custom(
        'order',
        'tool',
        toolCall({ tool: 'lookup_order', input: (ctx) => ({ id: (ctx.input as { order: string }).order }) }),
      )
      .output(({ steps }) => steps.order);
    const b = await start(registry, wf);
    const run = await b.submit('orders', { order: 'A-1' });
    const done = await b.waitForRun(run.id);
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ id: 'A-1', total: 42, email: 'ada@example.com' });
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]).toMatchObject({
      runId: run.id,
      stepId: 'order',
      tool: 'lookup_order',
      outcome: 'ok',
    });
  });

  it('fails typed on invalid input, without calling the tool', async () => {
    const { registry, calls } = hub();
    const wf = workflow({ name: 'orders', version: '2', input: z.object({}) })
      .custom('order', 'tool', {
        retry: fast,
        ...toolCall({ tool: 'lookup_order', input: () => ({ id: '' }) }),
      })
      .output(({ steps }) => steps.order);
    const b = await start(registry, wf);
    const done = await b.waitForRun((await b.submit('orders', {})).id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'TOOL_INPUT_INVALID' });
    expect(calls.lookup).toBe(0);
  });

  it('never re-runs a failed effect, even with a step retry policy', async () => {
    const { registry, calls } = hub();
    const wf = workflow({ name: 'pay', version: '1', input: z.object({}) })
      .custom('charge', 'tool', {
        effect: true,
        retry: fast,
        ...toolCall({ tool: 'charge_card', input: () => ({ amount: 10 }) }),
      })
      .output(({ steps }) => steps.charge);
    const b = await start(registry, wf);
    const done = await b.waitForRun((await b.submit('pay', {})).id);
    expect(done.status).toBe('failed');
    expect(calls.charge).toBe(1);
  });

  it('retries a transient failure of a tool without effects with the step policy', async () => {
    const { registry, calls } = hub();
    const wf = workflow({ name: 'quote', version: '1', input: z.object({}) })
      .custom('quote', 'tool', { retry: fast, ...toolCall({ tool: 'flaky_quote', input: () => ({}) }) })
      .output(({ steps }) => steps.quote);
    const b = await start(registry, wf);
    const done = await b.waitForRun((await b.submit('quote', {})).id);
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ price: 9 });
    expect(calls.flaky).toBe(3);
  });
});
