/**
 * The `plan` step kind on a real engine (SQLite), a real gateway and the fake OpenAI upstream, which
 * plays the planner with scripted proposals: a valid plan runs as a child run whose output is the
 * step's; invalid ones get one repair round that names every issue, then fail with `PLAN_INVALID`;
 * a tool outside the allow-list never runs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { llmKind } from '../../src/agents/llm-step.js';
import { checkAllowed, planDepth } from '../../src/agents/plan/proposal.js';
import { type PlanAllow, plan, planKind } from '../../src/agents/plan-step.js';
import { registerAgentSpecKinds } from '../../src/agents/spec-kinds.js';
import { toolKind } from '../../src/agents/tool-step.js';
import { workflow } from '../../src/core/builder.js';
import { BatonError } from '../../src/core/errors.js';
import { defineTool } from '../../src/tools/define-tool.js';
import type { RecordedRequest } from '../gateway/fakes/fake-server.js';
import type { ScriptedReply } from '../gateway/fakes/script.js';
import { useFakeModel } from '../gateway/harness.js';
import { useEngines } from '../helpers.js';
import { toolRegistry } from './tool-registry.js';

const engine = useEngines();
const fake = useFakeModel();

beforeAll(() => registerAgentSpecKinds());

interface Body {
  messages: Array<{ role: string; content: string }>;
  response_format?: { json_schema?: { name?: string } };
}

const bodyOf = (request: RecordedRequest | undefined) => request?.body as Body;
const isPlanning = (request: RecordedRequest | undefined) =>
  bodyOf(request)?.response_format?.json_schema?.name === 'plan';
const planRequests = () => fake.up.requests.filter(isPlanning);

/** The planner answers with `proposals` in turn; the `llm` steps of a plan answer `{ ok: true }`. */
function script(...proposals: unknown[]) {
  const queue = [...proposals];
  fake.up.setScript((request): ScriptedReply => {
    if (isPlanning(request)) return { json: queue.shift() ?? {} };
    return { json: { ok: true } };
  });
}

function hub() {
  const calls = { lookup: 0, wipe: 0 };
  const registry = toolRegistry();
  registry.register(
    defineTool({
      name: 'lookup_order',
      description: 'Finds an order by id.',
      input: z.object({ id: z.string() }),
      handler: ({ id }) => {
        calls.lookup += 1;
        return { id, total: 42 };
      },
    }),
    defineTool({
      name: 'wipe_orders',
      description: 'Deletes every order.',
      input: z.object({}),
      effect: true,
      handler: () => {
        calls.wipe += 1;
        return { wiped: true };
      },
    }),
  );
  return { registry, calls };
}

const ALLOW: PlanAllow = {
  kinds: ['llm', 'tool'],
  tools: ['lookup_order'],
  maxSteps: 3,
  maxDepth: 2,
};

const VALID = {
  steps: [
    { id: 'fetch', kind: 'tool', tool: 'lookup_order', input: { id: '$input.order' } },
    {
      id: 'judge',
      kind: 'llm',
      needs: ['fetch'],
      model: 'fast',
      messages: [{ role: 'user', content: 'Is a total of {{steps.fetch.total}} fine?' }],
      output: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
    },
  ],
  output: '{ "total": $steps.fetch.total, "ok": $steps.judge.ok }',
};

async function start() {
  const tools = hub();
  const b = await engine({ kinds: [llmKind({ gateway: fake.gw.gateway }), toolKind(tools.registry)] });
  b.defineKind(
    planKind({ gateway: fake.gw.gateway, tools: tools.registry, register: (spec) => b.register(spec) }),
  );
  await b.register(
    workflow({ name: 'research', version: '1', input: z.object({ order: z.string() }) })
      .custom('planner', 'plan', {
        retry: { maxAttempts: 1 },
        ...plan({
          goal: (ctx) => `Check order ${(ctx.input as { order: string }).order}`,
          allow: ALLOW,
          model: 'fast',
        }),
      })
      .output(({ steps }) => steps.planner),
  );
  b.worker();
  const runOnce = async (order = 'A-1') =>
    b.waitForRun((await b.submit('research', { order }, { tenant: 'acme' })).id);
  return { b, calls: tools.calls, runOnce };
}

describe('plan steps', () => {
  it('runs a valid plan of tool and llm steps as a child run and takes its output', async () => {
    script(VALID, VALID);
    const { b, calls, runOnce } = await start();
    const done = await runOnce();
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ total: 42, ok: true });
    expect(calls.lookup).toBe(1);

    const first = bodyOf(planRequests()[0]);
    expect(planRequests()).toHaveLength(1);
    const system = first.messages[0]?.content ?? '';
    expect(system).toContain('kind "tool"');
    expect(system).toContain('lookup_order: Finds an order by id.');
    expect(system).not.toContain('wipe_orders');
    expect(system).toContain('at most 3 steps');
    expect(first.messages[1]?.content).toContain('Check order A-1');

    const history = await b.history(done.id);
    const started = history.find((e) => e.type === 'child-started');
    expect(started?.data).toMatchObject({ workflow: 'research.planner.plan' });
    const [version] = await b.versions('research.planner.plan');
    expect(version?.definition).toMatchObject({ steps: VALID.steps, output: VALID.output, input: {} });
    const childRunId = (started?.data as { childRunId?: string } | undefined)?.childRunId ?? '';
    const child = await b.getRun(childRunId);
    expect(child.versionId).toBe(version?.id);

    await fake.gw.gateway.flush();
    const logged = (await fake.gw.ledger.listRequests({ runId: done.id })).entries;
    expect(logged[0]?.request).toContain('"baton.plan":"research.planner.plan"');

    // The same plan registers once.
    const again = await runOnce('A-2');
    expect(again.output).toEqual({ total: 42, ok: true });
    expect(await b.versions('research.planner.plan')).toHaveLength(1);
  });

  const invalid: Array<[string, unknown, string[]]> = [
    [
      'a tool outside the allow-list',
      { steps: [{ id: 'wipe', kind: 'tool', tool: 'wipe_orders', input: '{}' }] },
      ['steps[0].tool', 'NOT_ALLOWED'],
    ],
    [
      'too many steps',
      {
        steps: ['a', 'b', 'c', 'd'].map((id) => ({
          id,
          kind: 'tool',
          tool: 'lookup_order',
          input: { id: '"x"' },
        })),
      },
      ['TOO_MANY_STEPS', 'at most 3'],
    ],
    [
      'a chain too deep',
      {
        steps: [
          { id: 'a', kind: 'tool', tool: 'lookup_order', input: { id: '"x"' } },
          { id: 'b', kind: 'tool', tool: 'lookup_order', needs: ['a'], input: { id: '"x"' } },
          { id: 'c', kind: 'tool', tool: 'lookup_order', needs: ['b'], input: { id: '"x"' } },
        ],
      },
      ['TOO_DEEP', 'chain of needs is 3 steps'],
    ],
    [
      'a cycle',
      {
        steps: [
          { id: 'a', kind: 'tool', tool: 'lookup_order', needs: ['b'], input: { id: '"x"' } },
          { id: 'b', kind: 'tool', tool: 'lookup_order', needs: ['a'], input: { id: '"x"' } },
        ],
      },
      ['CYCLE'],
    ],
    [
      'an unknown need',
      { steps: [{ id: 'a', kind: 'tool', tool: 'lookup_order', needs: ['ghost'], input: { id: '"x"' } }] },
      ['steps[0].needs[0]', 'UNKNOWN_NEED'],
    ],
    [
      'an unknown kind',
      { steps: [{ id: 'a', kind: 'shell', command: 'rm -rf /' }] },
      ['steps[0].kind', 'NOT_ALLOWED', 'shell'],
    ],
    ['an answer that is not a plan', { plan: 'just do it' }, ['"steps" must be a non-empty list']],
  ];

  it.each(invalid)(
    'repairs %s in one round, showing the model every issue',
    async (_, proposal, expected) => {
      script(proposal, VALID);
      const { calls, runOnce } = await start();
      const done = await runOnce();
      expect(done.status).toBe('succeeded');
      expect(done.output).toEqual({ total: 42, ok: true });
      const [first, second] = planRequests();
      expect(planRequests()).toHaveLength(2);
      const repair = bodyOf(second).messages.at(-1);
      expect(repair?.role).toBe('user');
      for (const text of expected) expect(repair?.content).toContain(text);
      expect(bodyOf(second).messages.at(-2)).toEqual({
        role: 'assistant',
        content: JSON.stringify(proposal),
      });
      expect(bodyOf(second).messages.slice(0, 2)).toEqual(bodyOf(first).messages);
      expect(calls.wipe).toBe(0);
    },
  );

  it('fails with PLAN_INVALID listing the issues when the repair is still invalid', async () => {
    const wipe = { steps: [{ id: 'wipe', kind: 'tool', tool: 'wipe_orders', input: '{}' }] };
    script(wipe, { ...wipe, steps: [...wipe.steps, { id: 'x', kind: 'fn', fn: 'anything' }] });
    const { b, calls, runOnce } = await start();
    const done = await runOnce();
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'PLAN_INVALID' });
    expect(done.error?.message).toContain('steps[0].tool');
    expect(done.error?.message).toContain('steps[1].kind');
    const [step] = await b.steps(done.id);
    expect(step?.error).toMatchObject({ code: 'PLAN_INVALID', retryable: false });
    const details = step?.error?.details as { issues: Array<{ path: string }> } | undefined;
    expect(details?.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['steps[0].tool', 'steps[1].kind', 'steps[1].fn']),
    );
    expect(planRequests()).toHaveLength(2);
    expect(calls.wipe).toBe(0);
    await expect(b.versions('research.planner.plan')).rejects.toMatchObject({ code: 'WORKFLOW_NOT_FOUND' });
  });

  it('measures depth as the longest chain of needs and checks its options', () => {
    expect(planDepth([{ id: 'a' }, { id: 'b' }])).toBe(1);
    expect(
      planDepth([
        { id: 'a' },
        { id: 'b', needs: ['a'] },
        { id: 'c', needs: ['a', 'b'] },
        { id: 'd', needs: ['ghost'] },
      ]),
    ).toBe(3);
    expect(
      planDepth([
        { id: 'a', needs: ['b'] },
        { id: 'b', needs: ['a'] },
      ]),
    ).toBe(2);
    expect(() => plan({ goal: () => 'x', allow: { ...ALLOW, kinds: [] } })).toThrow(BatonError);
    expect(() => plan({ goal: () => 'x', allow: { ...ALLOW, maxDepth: 0 } })).toThrow(BatonError);
    expect(() => plan({ goal: () => 'x', allow: { ...ALLOW, maxSteps: 0 } })).toThrow(BatonError);
  });

  it('checks agents, prompts and functions against the allow-list', () => {
    const allow: PlanAllow = {
      kinds: ['llm', 'agent', 'fn', 'map'],
      agents: ['researcher'],
      prompts: ['triage'],
      functions: ['sum'],
      maxSteps: 9,
      maxDepth: 9,
    };
    const issues = checkAllowed(
      {
        steps: [
          { id: 'a', kind: 'agent', agent: 'researcher', input: '$input' },
          { id: 'b', kind: 'agent', agent: 'hacker', input: '$input' },
          { id: 'c', kind: 'llm', prompt: 'triage@2' },
          { id: 'd', kind: 'llm', prompt: { name: 'secret' } },
          { id: 'e', kind: 'fn', fn: 'sum', compensate: { fn: 'undo' } },
          { id: 'f', kind: 'map', items: '$input', fn: 'drop' },
          { id: 'g', kind: 'plan' },
        ],
      },
      allow,
    );
    expect(issues.map((i) => i.path)).toEqual([
      'steps[1].agent',
      'steps[3].prompt',
      'steps[4].compensate.fn',
      'steps[5].fn',
      'steps[6].kind',
    ]);
    expect(issues.every((i) => i.code === 'NOT_ALLOWED')).toBe(true);
    expect(issues[0]?.message).toContain('allowed: researcher');
    expect(
      checkAllowed({ steps: [{ id: 'a', kind: 'llm', prompt: 'any' }] }, { ...allow, prompts: undefined }),
    ).toEqual([]);
  });

  it('fails before any call when an allowed kind is not a spec kind of the engine', async () => {
    script(VALID);
    const tools = hub();
    const b = await engine({ kinds: [toolKind(tools.registry)] });
    b.defineKind(planKind({ gateway: fake.gw.gateway, register: (spec) => b.register(spec) }));
    await b.register(
      workflow({ name: 'odd', version: '1', input: z.object({}) })
        .custom('planner', 'plan', {
          retry: { maxAttempts: 1 },
          ...plan({ goal: () => 'x', allow: { ...ALLOW, kinds: ['tool', 'fancy'] }, model: 'fast' }),
        })
        .build(),
    );
    b.worker();
    const done = await b.waitForRun((await b.submit('odd', {}, { tenant: 'acme' })).id);
    expect(done.status).toBe('failed');
    const [step] = await b.steps(done.id);
    expect(step?.error).toMatchObject({ code: 'UNKNOWN_STEP_KIND' });
    expect(step?.error?.message).toContain('fancy');
    expect(fake.up.requests).toHaveLength(0);
  });
});
