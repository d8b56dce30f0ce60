/**
 * The trace of a multi-agent run, read back from the SQLite span store: an orchestrator agent calls a
 * tool and delegates to a researcher agent (a child run), then a workflow step starts a child run.
 * Names, kinds, parents and the GenAI attributes are asserted exactly; so are the `traceparent` the
 * upstream saw, content capture (off by default, masked when on) and the ids on log lines.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AgentDefinition, agent } from '../../src/agents/agent/index.js';
import { workflow } from '../../src/core/builder.js';
import type { StoredSpan } from '../../src/telemetry/spans/port.js';
import { attemptSpanId, runSpanId } from '../../src/telemetry/tracing/ids.js';
import { only, spanTree, tracedEngineFixture } from './traced-engine.js';

const orchestrator: AgentDefinition = {
  name: 'orchestrator',
  description: 'Looks orders up and delegates research.',
  instructions: 'Delegate research, then answer.',
  model: 'fast',
  tools: ['lookup_order'],
  delegates: ['researcher'],
};
const researcher: AgentDefinition = {
  name: 'researcher',
  description: 'Finds facts.',
  instructions: 'Research.',
  model: 'fast',
};

const notify = workflow({ name: 'notify', version: '1', input: z.object({ text: z.string() }) })
  .step('send', {
    run: (ctx) => `sent: ${(ctx.input as { text: string }).text}`,
  })
  .build();
const support = workflow({ name: 'support', version: '1', input: z.object({ question: z.string() }) })
  .custom('answer', 'agent', {
    retry: { maxAttempts: 1 },
    ...agent({ agent: 'orchestrator', task: (ctx) => (ctx.input as { question: string }).question }),
  })
  .child('notify', {
    needs: ['answer'],
    workflow: 'notify',
    input: (ctx) => ({ text: String((ctx.steps as { answer: unknown }).answer) }),
  })
  .build();

const QUESTION = 'Where is order o-1? Mail me at jane.doe@example.com';
const USAGE = { inputTokens: 40, outputTokens: 8, cachedInputTokens: 4, reasoningTokens: 2 };

const fixture = tracedEngineFixture();

function script(): void {
  fixture.up.setScript((request) => {
    const body = request.body as { messages: { role: string; content: string }[] };
    const system = body.messages[0]?.content ?? '';
    const tools = body.messages.filter((m) => m.role === 'tool').length;
    if (system.startsWith('Research')) return { text: 'Paris', usage: USAGE };
    if (tools === 0) {
      return { toolCalls: [{ id: 'call_1', name: 'lookup_order', arguments: { id: 'o-1' } }], usage: USAGE };
    }
    if (tools === 1) {
      return {
        toolCalls: [{ id: 'call_2', name: 'delegate_researcher', arguments: { task: 'Find the city' } }],
        usage: USAGE,
      };
    }
    return { text: 'Shipped to Paris', usage: USAGE };
  });
}

async function runSupport(options: { captureContent?: boolean } = {}) {
  fixture.up.requests.length = 0;
  script();
  const engine = await fixture.start({ agents: [orchestrator, researcher], ...options });
  await engine.baton.register(notify);
  await engine.baton.register(support);
  const submitted = await engine.baton.submit('support', { question: QUESTION }, { tenant: 'acme' });
  const run = await engine.baton.waitForRun(submitted.id);
  expect(run.status).toBe('succeeded');
  return { run, spans: await engine.trace(run) };
}

describe('the trace of a multi-agent run', () => {
  it('has one span per run, attempt, agent, model and tool call, as a tree', async () => {
    const { run, spans } = await runSupport();
    const chat = { name: 'chat fast', kind: 'client', children: [] };
    expect(spanTree(spans)).toEqual([
      {
        name: 'invoke_workflow support',
        kind: 'internal',
        children: [
          {
            name: 'step answer',
            kind: 'internal',
            children: [
              {
                name: 'invoke_agent orchestrator',
                kind: 'internal',
                children: [
                  chat,
                  { name: 'execute_tool lookup_order', kind: 'internal', children: [] },
                  chat,
                  {
                    name: 'invoke_workflow agent.researcher',
                    kind: 'internal',
                    children: [
                      {
                        name: 'step agent',
                        kind: 'internal',
                        children: [{ name: 'invoke_agent researcher', kind: 'internal', children: [chat] }],
                      },
                      { name: 'finalize agent.researcher', kind: 'internal', children: [] },
                    ],
                  },
                  chat,
                ],
              },
            ],
          },
          {
            name: 'step notify',
            kind: 'internal',
            children: [
              {
                name: 'invoke_workflow notify',
                kind: 'internal',
                children: [{ name: 'step send', kind: 'internal', children: [] }],
              },
            ],
          },
        ],
      },
    ]);
    // Every span is in the run's trace; the run and attempt spans have the ids any worker derives.
    expect(spans.every((s) => s.traceId === run.traceId)).toBe(true);
    const root = only(spans, 'invoke_workflow support');
    expect(root.spanId).toBe(runSpanId(run.id));
    expect(root.parentSpanId).toBeUndefined();
    const step = only(spans, 'step answer');
    expect(step.spanId).toBe(
      attemptSpanId({ runId: run.id, kind: 'step', stepId: 'answer', item: -1, attempt: 1 }),
    );
    expect(root).toMatchObject({
      startTime: run.createdAt,
      endTime: run.finishedAt,
      status: { code: 'ok' },
      runId: run.id,
      attributes: {
        'gen_ai.operation.name': 'invoke_workflow',
        'gen_ai.workflow.name': 'support',
        'baton.run_id': run.id,
        'baton.workflow': 'support',
        'baton.workflow_version': run.versionId,
        'baton.tenant': 'acme',
        'baton.run.status': 'succeeded',
        'baton.run.depth': 0,
      },
    });
    expect(step.attributes).toEqual({
      'baton.run_id': run.id,
      'baton.step_id': 'answer',
      'baton.task_kind': 'step',
      'baton.attempt': 1,
      'baton.workflow': 'support',
      'baton.workflow_version': run.versionId,
      'baton.tenant': 'acme',
      'baton.attempt.status': 'succeeded',
      'baton.worker_id': expect.any(String),
    });
  });

  it('carries the GenAI attributes on model, tool and agent spans', async () => {
    const { run, spans } = await runSupport();
    const chats = spans.filter((s) => s.name === 'chat fast');
    expect(chats).toHaveLength(4);
    const first = chats[0] as StoredSpan;
    expect(first.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'fast',
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.response.id': expect.any(String),
      'gen_ai.response.finish_reasons': ['tool_calls'],
      'gen_ai.request.max_tokens': expect.any(Number),
      'gen_ai.agent.name': 'orchestrator',
      'gen_ai.usage.input_tokens': 44,
      'gen_ai.usage.output_tokens': 10,
      'gen_ai.usage.cache_read.input_tokens': 4,
      'gen_ai.usage.reasoning.output_tokens': 2,
      'gen_ai.usage.cost': expect.any(Number),
      'baton.cost_usd': expect.any(Number),
      'baton.gateway.route': 'fast',
      'baton.gateway.target': 'openai/gpt-4o-mini',
      'baton.gateway.cache_hit': false,
      'baton.gateway.retries': 0,
      'baton.gateway.fallbacks': 0,
      'baton.latency_ms': expect.any(Number),
    });
    expect(first.attributes['gen_ai.usage.cost']).toBeGreaterThan(0);
    expect((chats[3] as StoredSpan).attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(only(spans, 'execute_tool lookup_order').attributes).toEqual({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'lookup_order',
      'gen_ai.tool.type': 'function',
      'gen_ai.tool.call.id': 'call_1',
      'baton.tool.outcome': 'ok',
    });
    const agentSpan = only(spans, 'invoke_agent orchestrator');
    expect(agentSpan.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'orchestrator',
      'baton.agent.iterations': 3,
    });
    // The delegation's child run hangs from the agent that delegated, in the same trace.
    const childRun = only(spans, 'invoke_workflow agent.researcher');
    expect(childRun.parentSpanId).toBe(agentSpan.spanId);
    expect(childRun.attributes['baton.parent_run_id']).toBeUndefined();
    const [delegate] = await fixture.engine.baton.listRuns({ tag: `parent-run:${run.id}` });
    expect(delegate?.traceId).toBe(run.traceId);
    // The workflow step's child run hangs from the attempt that started it.
    expect(only(spans, 'invoke_workflow notify')).toMatchObject({
      parentSpanId: only(spans, 'step notify').spanId,
      attributes: { 'baton.parent_run_id': run.id, 'baton.parent_step_id': 'notify', 'baton.run.depth': 1 },
    });
  });

  it('sends each provider call the traceparent of its chat span', async () => {
    const { spans } = await runSupport();
    const chats = spans.filter((s) => s.name === 'chat fast');
    const sent = fixture.up.requests.map((r) => r.headers.traceparent);
    expect(sent).toHaveLength(4);
    expect(new Set(sent)).toEqual(new Set(chats.map((c) => `00-${c.traceId}-${c.spanId}-01`)));
  });

  it('keeps message content off spans by default', async () => {
    const { spans } = await runSupport();
    const text = JSON.stringify(spans.map((s) => s.attributes));
    expect(text).not.toContain('order o-1');
    expect(text).not.toContain('jane.doe');
    expect(text).not.toContain('gen_ai.input.messages');
  });

  it('records content masked and cut when asked to', async () => {
    const { spans } = await runSupport({ captureContent: true });
    const first = spans.find((s) => s.name === 'chat fast') as StoredSpan;
    const input = first.attributes['gen_ai.input.messages'] as string;
    expect(input).toContain('Where is order o-1?');
    expect(input).toContain('[EMAIL_1]');
    expect(input).not.toContain('jane.doe@example.com');
    expect(first.attributes['gen_ai.output.messages']).toContain('lookup_order');
    expect(only(spans, 'execute_tool lookup_order').attributes).toMatchObject({
      'gen_ai.tool.call.arguments': '{"id":"o-1"}',
      'gen_ai.tool.call.result': '{"id":"o-1","status":"shipped"}',
    });
  });

  it('writes JSON log lines carrying the run, step, trace and span ids', async () => {
    const { run, spans } = await runSupport();
    const logs = fixture.engine.logs;
    const step = only(spans, 'step answer');
    const started = logs.find(
      (l) => l.msg === 'step started' && l.run_id === run.id && l.step_id === 'answer',
    );
    expect(started).toMatchObject({
      level: 'debug',
      service: 'baton',
      trace_id: run.traceId,
      span_id: step.spanId,
      attempt: 1,
    });
    expect(logs.find((l) => l.msg === 'step finished' && l.step_id === 'answer')).toMatchObject({
      level: 'debug',
      outcome: 'succeeded',
      trace_id: run.traceId,
    });
    // Payloads at debug level only, masked.
    const call = logs.find((l) => l.msg === 'model call' && l.run_id === run.id);
    expect(call).toMatchObject({ level: 'debug', step_id: 'answer', trace_id: run.traceId });
    expect(JSON.stringify(call)).toContain('[EMAIL_1]');
    expect(JSON.stringify(logs)).not.toContain('jane.doe@example.com');
    expect(logs.find((l) => l.msg === 'tool call')).toMatchObject({ level: 'debug', tool: 'lookup_order' });
  });
});
