/**
 * A workflow with every sort of step a replay treats differently (a pure `fn`, an effect, an `llm`
 * step and an `agent` step with a tool) on a real engine, gateway, agent store and fake model, with
 * a ledger of step bodies, effects and tool calls.
 */
import { afterEach } from 'vitest';
import { z } from 'zod';
import { AgentRegistry, agent, agentKind } from '../../src/agents/agent/index.js';
import { openAgentStore } from '../../src/agents/enable-agents.js';
import { llm, llmKind } from '../../src/agents/llm-step.js';
import type { AgentStore } from '../../src/agents/state/port.js';
import { workflow } from '../../src/core/builder.js';
import type { StepContext } from '../../src/core/definition.js';
import { MemoryToolAuditSink } from '../../src/tools/audit.js';
import { defineTool } from '../../src/tools/define-tool.js';
import { toolRegistry } from '../agents/tool-registry.js';
import type { RecordedRequest } from '../gateway/fakes/index.js';
import type { FakeModel } from '../gateway/harness.js';
import type { TestBaton } from '../helpers.js';

/** What ran: step bodies by id, effects, tool calls. */
export interface Ledger {
  bodies: Record<string, number>;
  effects: string[];
  tools: number;
}

export const ledger: Ledger = { bodies: {}, effects: [], tools: 0 };

const input = z.object({ item: z.string(), qty: z.number() });
type Ctx = StepContext<z.output<typeof input>, Record<string, unknown>>;
type Load = { item: string; qty: number };

function body(id: string): void {
  ledger.bodies[id] = (ledger.bodies[id] ?? 0) + 1;
}

/** Variants of the workflow, as a new version would change it. */
export interface Variant {
  label: string;
  /** The llm step's instruction. @defaultValue 'Summarize the order for' */
  prompt?: string;
  /** Add a pure step `extra` after `load`. */
  extra?: boolean;
  /** Drop the last step, `finish`. */
  noFinish?: boolean;
  /** `load` doubles the quantity. */
  double?: boolean;
  /** The agent step's task. @defaultValue 'Check this order:' */
  task?: string;
}

/** The `orders` workflow: load → charge (effect) and summary (llm) → helper (agent) → finish. */
export function orders(v: Variant) {
  const base = workflow({ name: 'orders', version: v.label, input })
    .step('load', {
      run: (ctx): Load => {
        body('load');
        return { item: ctx.input.item, qty: v.double ? ctx.input.qty * 2 : ctx.input.qty };
      },
    })
    .step('charge', {
      needs: ['load'],
      effect: true,
      retry: { maxAttempts: 1 },
      run: (ctx) => {
        body('charge');
        ledger.effects.push(ctx.idempotencyKey);
        return { charged: (ctx.steps.load as Load).qty * 10 };
      },
    })
    .custom('summary', 'llm', {
      needs: ['load'],
      retry: { maxAttempts: 1 },
      ...llm<Ctx>({
        model: 'fast',
        messages: (ctx) => [
          {
            role: 'user',
            content: `${v.prompt ?? 'Summarize the order for'} ${(ctx.steps.load as Load).item}`,
          },
        ],
      }),
    })
    .custom('helper', 'agent', {
      needs: ['summary'],
      retry: { maxAttempts: 1 },
      ...agent<Ctx>({
        agent: 'checker',
        task: (ctx) => `${v.task ?? 'Check this order:'} ${String(ctx.steps.summary)}`,
      }),
    });
  const withExtra = v.extra
    ? base.step('extra', {
        needs: ['load'],
        run: (ctx) => {
          body('extra');
          return (ctx.steps.load as Load).qty + 1;
        },
      })
    : base;
  if (v.noFinish) return withExtra.build();
  return withExtra
    .step('finish', {
      needs: ['charge', 'helper'],
      run: (ctx) => {
        body('finish');
        return { charged: ctx.steps.charge, verdict: ctx.steps.helper };
      },
    })
    .build();
}

/** What the fake model answers: the llm step a summary; the agent a tool call, then its verdict. */
export function script(request: RecordedRequest) {
  const b = request.body as { tools?: unknown[]; messages: { role: string }[] };
  if (!b.tools?.length) return { text: 'A summary of the order.' };
  if (b.messages.at(-1)?.role === 'tool') return { text: 'Order checked: fine.' };
  return { toolCalls: [{ name: 'lookup_order', arguments: { id: 'o-1' } }] };
}

const stores: AgentStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

/** Wires the llm and agent kinds on engine `b` (SQLite), registers the variants, starts a worker. */
export async function wire(b: TestBaton, fake: FakeModel, ...variants: Variant[]) {
  ledger.bodies = {};
  ledger.effects = [];
  ledger.tools = 0;
  fake.up.setScript((request) => script(request));
  const store = await openAgentStore({ dataDir: b.where.dataDir as string });
  stores.push(store);
  const tools = toolRegistry(new MemoryToolAuditSink()).register(
    defineTool({
      name: 'lookup_order',
      description: 'Looks an order up.',
      input: z.object({ id: z.string() }),
      handler: (args) => {
        ledger.tools += 1;
        return { id: args.id, status: 'paid' };
      },
    }),
  );
  const agents = new AgentRegistry().register({
    name: 'checker',
    description: 'Checks orders.',
    instructions: 'Check the order with the tools.',
    model: 'fast',
    tools: ['lookup_order'],
  });
  b.defineKind(llmKind({ gateway: fake.gw.gateway }));
  b.defineKind(agentKind({ gateway: fake.gw.gateway, store, agents, tools }));
  const versions = [];
  for (const v of variants) versions.push(await b.register(orders(v)));
  b.worker({ pollMs: 10 });
  return versions;
}
