/**
 * The `llm` and `tool` spec kinds: a YAML workflow with model and tool steps registered and run on a
 * real engine (SQLite), a real gateway and the fake OpenAI upstream; validation issues with paths.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { llmKind } from '../../src/agents/llm-step.js';
import {
  agentSpecKind,
  agentSpecKinds,
  llmSpecKind,
  parsePromptRef,
  registerAgentSpecKinds,
  toolSpecKind,
} from '../../src/agents/spec-kinds.js';
import { toolKind } from '../../src/agents/tool-step.js';
import { BatonError } from '../../src/core/errors.js';
import { SpecKindRegistry, specKinds, validateSpec } from '../../src/spec/index.js';
import { defineTool } from '../../src/tools/define-tool.js';
import type { ToolRegistry } from '../../src/tools/tool-registry.js';
import { useFakeModel } from '../gateway/harness.js';
import { useEngines } from '../helpers.js';
import { toolRegistry } from './tool-registry.js';

const engine = useEngines();
const fake = useFakeModel();

beforeAll(() => registerAgentSpecKinds());

function hub() {
  const calls: unknown[] = [];
  const registry = toolRegistry();
  registry.register(
    defineTool({
      name: 'lookup_order',
      description: 'Finds an order.',
      input: z.object({ id: z.string().min(1), verbose: z.boolean() }),
      handler: (input) => {
        calls.push(input);
        return { id: input.id, total: 42 };
      },
    }),
  );
  return { registry, calls };
}

const REFUND = `
name: refund
version: 1
input:
  type: object
  properties: { order: { type: string }, note: { type: string } }
  required: [order, note]
steps:
  - id: order
    kind: tool
    tool: lookup_order
    input:
      id: $input.order
      verbose: 'true'
  - id: decide
    kind: llm
    needs: [order]
    model: fast
    parameters: { temperature: 0 }
    messages:
      - role: system
        content: Decide refunds.
      - role: user
        content: 'Order {{steps.order.id}} totals {{steps.order.total}}. Note: {{input.note}}'
      - role: user
        content: { expression: '"Total doubled: " & $string($steps.order.total * 2)' }
    output:
      type: object
      properties: { refund: { type: boolean } }
      required: [refund]
output: '{ "order": $steps.order.id, "refund": $steps.decide.refund }'
`;

async function start(registry: ToolRegistry) {
  const b = await engine({ kinds: [llmKind({ gateway: fake.gw.gateway }), toolKind(registry)] });
  b.worker();
  return b;
}

describe('llm and tool spec kinds', () => {
  it('registers a YAML workflow with tool and llm steps and runs it', async () => {
    fake.up.setScript({ json: { refund: true } });
    const { registry, calls } = hub();
    const b = await start(registry);
    const version = await b.register(REFUND);
    expect(version.graph.steps.map((s) => s.kind)).toEqual(['tool', 'llm']);
    const run = await b.submit('refund', { order: 'A-1', note: 'broken' }, { tenant: 'acme' });
    const done = await b.waitForRun(run.id);
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ order: 'A-1', refund: true });
    expect(calls).toEqual([{ id: 'A-1', verbose: true }]);
    const sent = fake.up.requests[0]?.body as {
      messages: Array<{ role: string; content: string }>;
      temperature: number;
      response_format: { type: string; json_schema: { schema: unknown } };
    };
    expect(sent.messages).toEqual([
      { role: 'system', content: 'Decide refunds.' },
      { role: 'user', content: 'Order A-1 totals 42. Note: broken' },
      { role: 'user', content: 'Total doubled: 84' },
    ]);
    expect(sent.temperature).toBe(0);
    expect(sent.response_format.type).toBe('json_schema');
    expect(sent.response_format.json_schema.schema).toMatchObject({ required: ['refund'] });
  });

  it('repairs an answer that violates the JSON Schema of the spec, then fails typed', async () => {
    fake.up.setScript([{ json: { refund: 'yes' } }, { json: { nope: 1 } }]);
    const { registry } = hub();
    const b = await start(registry);
    await b.register(REFUND);
    const run = await b.submit('refund', { order: 'A-1', note: 'x' }, { tenant: 'acme' });
    const done = await b.waitForRun(run.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'OUTPUT_SCHEMA_VIOLATION' });
    expect(fake.up.requests).toHaveLength(2);
    const repairBody = fake.up.requests[1]?.body as { messages: Array<{ content: string }> } | undefined;
    const repair = repairBody?.messages.at(-1);
    expect(repair?.content).toContain('/refund');
  });

  it('reports unknown fields and a missing tool name with their paths', () => {
    const result = validateSpec({
      name: 'bad',
      version: '1',
      steps: [
        {
          id: 'ask',
          kind: 'llm',
          model: 'fast',
          promt: 'triage',
          messages: [{ role: 'user', content: 'hi' }],
        },
        { id: 'call', kind: 'tool', input: { id: '$input.id' } },
        { id: 'call2', kind: 'tool', tool: 'x', input: { id: '$input.(' } },
      ],
    });
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.issues;
    expect(issues).toContainEqual(
      expect.objectContaining({
        path: 'steps[0].promt',
        code: 'INVALID_FIELD',
        message: expect.stringContaining('did you mean "prompt"'),
      }),
    );
    expect(issues).toContainEqual(
      expect.objectContaining({ path: 'steps[1].tool', message: '"tool" is required' }),
    );
    expect(issues).toContainEqual(expect.objectContaining({ code: 'INVALID_EXPRESSION' }));
  });

  it('rejects an llm step with both or neither of prompt and messages, bad templates and schemas', () => {
    const issuesOf = (step: Record<string, unknown>) => {
      const result = validateSpec({ name: 'w', version: '1', steps: [{ id: 'a', kind: 'llm', ...step }] });
      return result.ok ? [] : result.issues;
    };
    expect(issuesOf({ model: 'fast' })).toContainEqual(expect.objectContaining({ path: 'steps[0].prompt' }));
    expect(
      issuesOf({ prompt: 'triage', messages: [{ role: 'user', content: 'x' }] }).map((i) => i.path),
    ).toContain('steps[0].messages');
    expect(
      issuesOf({ model: 'fast', messages: [{ role: 'user', content: 'Hi {{ a + b }}' }] }).map((i) => i.path),
    ).toContain('steps[0].messages[0].content');
    expect(issuesOf({ prompt: 'Bad Name' }).map((i) => i.path)).toContain('steps[0].prompt');
    expect(issuesOf({ prompt: 'triage', output: { type: 'nonsense' } }).map((i) => i.code)).toContain(
      'INVALID_SCHEMA',
    );
    expect(issuesOf({ prompt: { name: 'triage', version: 2 }, variables: { t: '$input' } })).toEqual([]);
  });

  it('reads prompt references and registers the kinds once, only when asked', () => {
    expect(parsePromptRef('triage')).toEqual({ name: 'triage' });
    expect(parsePromptRef('triage@3')).toEqual({ name: 'triage', version: 3 });
    expect(parsePromptRef('Triage@x')).toBeUndefined();
    expect(agentSpecKinds()).toEqual([llmSpecKind, toolSpecKind, agentSpecKind]);
    expect(() => registerAgentSpecKinds()).not.toThrow();
    expect(specKinds.get('llm')).toBe(llmSpecKind);
    const fresh = new SpecKindRegistry();
    expect(fresh.get('llm')).toBeUndefined();
    registerAgentSpecKinds(fresh);
    expect(fresh.names()).toEqual(['llm', 'tool', 'agent']);
    const clash = new SpecKindRegistry([{ ...toolSpecKind, description: 'another tool kind' }]);
    expect(() => registerAgentSpecKinds(clash)).toThrow(BatonError);
  });
});
