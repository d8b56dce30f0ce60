/**
 * The tools an agent gets from Baton itself rather than from the tool hub: long-term memory
 * (`memory_remember`, `memory_recall`) and run memory (`scratch_write`, `scratch_read`). They are
 * offered only to agents whose definition asks for them, and their calls are journaled like any other.
 * @module
 */
import { z } from 'zod';
import type { ToolDefinition } from '../../gateway/types.js';
import { capContent } from '../../tools/result-cap.js';
import type { AgentStore } from '../state/port.js';
import type { AgentMemory } from './agent-memory.js';
import type { CallUsage } from './bounds.js';
import type { ResolvedAgent } from './define-agent.js';

/** What a built-in call produced, as it goes back to the model. */
export interface BuiltinResult {
  ok: boolean;
  content: string;
  usage?: CallUsage;
}

/** Where built-in calls act. */
export interface BuiltinContext {
  store: AgentStore;
  memory?: AgentMemory;
  runId: string;
  stepId: string;
  maxResultBytes: number;
  /**
   * Metadata every memory this step writes carries, and every recall filters on (a customer id): the
   * model cannot write or read outside it, whatever it asks.
   */
  scope?: Record<string, unknown>;
}

const remember = z.object({
  text: z.string().min(1).max(8_000),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
const recall = z.object({
  query: z.string().min(1).max(8_000),
  limit: z.number().int().min(1).max(20).optional(),
});
const scratchWrite = z.object({ key: z.string().min(1).max(200), value: z.unknown() });
const scratchRead = z.object({ key: z.string().min(1).max(200).optional() });

const SCHEMAS = {
  memory_remember: [remember, 'Remember a fact for later runs (about this customer, task or domain).'],
  memory_recall: [recall, 'Recall remembered facts most similar to a query, with similarity scores.'],
  scratch_write: [scratchWrite, 'Keep a value under a key for the rest of this run.'],
  scratch_read: [scratchRead, 'Read a value kept with scratch_write (all of them without a key).'],
} as const;

type BuiltinName = keyof typeof SCHEMAS;

/** The built-in tools this agent is offered. */
export function builtinNames(agent: ResolvedAgent): BuiltinName[] {
  return [
    ...(agent.memory?.longTerm ? (['memory_remember', 'memory_recall'] as const) : []),
    ...(agent.memory?.run ? (['scratch_write', 'scratch_read'] as const) : []),
  ];
}

/** The chat `tools` entries of the built-ins. */
export function builtinDefinitions(names: readonly BuiltinName[]): ToolDefinition[] {
  return names.map((name) => {
    const [schema, description] = SCHEMAS[name];
    const { $schema: _, ...parameters } = z.toJSONSchema(schema) as Record<string, unknown>;
    return { type: 'function', function: { name, description, parameters } };
  });
}

/** Runs a built-in the agent was offered; undefined when `name` is not one of them. */
export async function callBuiltin(
  offered: readonly string[],
  name: string,
  rawArguments: string,
  ctx: BuiltinContext,
): Promise<BuiltinResult | undefined> {
  if (!offered.includes(name)) return undefined;
  const [schema] = SCHEMAS[name as BuiltinName];
  let args: unknown;
  try {
    args = JSON.parse(rawArguments || '{}');
  } catch {
    return failure('TOOL_INPUT_INVALID', 'the arguments are not JSON', ctx);
  }
  const parsed = schema.safeParse(args);
  if (!parsed.success) {
    return failure(
      'TOOL_INPUT_INVALID',
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
      ctx,
    );
  }
  const at = { runId: ctx.runId, stepId: ctx.stepId };
  switch (name as BuiltinName) {
    case 'memory_remember': {
      const { text, metadata } = parsed.data as z.output<typeof remember>;
      const merged = { ...metadata, ...ctx.scope };
      const { memory, usage } = await (ctx.memory as AgentMemory).remember(text, {
        ...(Object.keys(merged).length ? { metadata: merged } : {}),
        ...at,
      });
      return { ok: true, content: JSON.stringify({ remembered: memory.id }), usage };
    }
    case 'memory_recall': {
      const { query, limit } = parsed.data as z.output<typeof recall>;
      const { memories, usage } = await (ctx.memory as AgentMemory).recall(query, {
        ...(limit ? { limit } : {}),
        ...(ctx.scope ? { metadata: ctx.scope } : {}),
      });
      const found = memories.map((m) => ({
        id: m.memory.id,
        text: m.memory.text,
        score: Number(m.score.toFixed(4)),
        ...(Object.keys(m.memory.metadata).length ? { metadata: m.memory.metadata } : {}),
      }));
      return { ok: true, content: capped(JSON.stringify(found), ctx), usage };
    }
    case 'scratch_write': {
      const { key, value } = parsed.data as z.output<typeof scratchWrite>;
      await ctx.store.writeRunMemory(ctx.runId, { [key]: value ?? null });
      return { ok: true, content: JSON.stringify({ written: key }) };
    }
    case 'scratch_read': {
      const { key } = parsed.data as z.output<typeof scratchRead>;
      const all = await ctx.store.readRunMemory(ctx.runId);
      return { ok: true, content: capped(JSON.stringify(key === undefined ? all : (all[key] ?? null)), ctx) };
    }
  }
}

function capped(text: string, ctx: BuiltinContext): string {
  return capContent(text, ctx.maxResultBytes).content;
}

function failure(code: string, message: string, ctx: BuiltinContext): BuiltinResult {
  return { ok: false, content: capped(`Error ${code}: ${message}`, ctx) };
}
