/**
 * The `llm` and `tool` step kinds of the JSON/YAML spec language. They compile into the same configs
 * as `llm()` and `toolCall()`, so spec and TypeScript workflows run on the same runtime kinds
 * (`llmKind`, `toolKind`). Nothing is registered on import: call {@link registerAgentSpecKinds}.
 * @module
 */
import { z } from 'zod';
import type { StepContext } from '../core/definition.js';
import { BatonError } from '../core/errors.js';
import type { ChatMessage } from '../gateway/types.js';
import type { SpecExpression } from '../spec/expression.js';
import { expressionField, jsonSchemaField, strictFields } from '../spec/fields.js';
import { addSpecIssue, describeValue, fromZodIssues, isRecord, type PathSegment } from '../spec/issues.js';
import {
  type AnySpecKind,
  defineSpecKind,
  type SpecCompileEnv,
  type SpecKindRegistry,
} from '../spec/kind.js';
import { specKinds } from '../spec/registry.js';
import type { AgentStepConfig } from './agent/agent-step.js';
import type { AgentLimits } from './agent/define-agent.js';
import type { LlmStepConfig, LlmStepOptions } from './llm-step.js';
import { llm } from './llm-step.js';
import { parseTemplate, renderTemplate, type TemplateSegment } from './prompts/index.js';
import type { ToolStepConfig } from './tool-step.js';

/** `name` or `name@<version>`, as the `prompt` field of a spec step accepts it. */
const PROMPT_REF = /^([a-z0-9][a-z0-9_-]{0,63})(?:@([1-9]\d*))?$/;

/** A prompt reference in a spec: `triage`, `triage@3` or `{ name: triage, version: 3 }`. */
export type PromptRefSpec = string | { name: string; version?: number };

/**
 * Reads a prompt reference (`triage`, `triage@3`, `{ name, version }`).
 * @returns undefined when it is malformed.
 */
export function parsePromptRef(ref: PromptRefSpec): { name: string; version?: number } | undefined {
  if (typeof ref !== 'string') return ref;
  const match = PROMPT_REF.exec(ref);
  if (!match?.[1]) return undefined;
  return match[2] === undefined ? { name: match[1] } : { name: match[1], version: Number(match[2]) };
}

/**
 * A field taking a string or an object, each checked by its own schema so that the author sees that
 * schema's precise issues (a plain union reports only "Invalid input").
 */
function stringOrObject<S, O>(text: z.ZodType<S>, object: z.ZodType<O>, expected: string): z.ZodType<S | O> {
  return z.custom<S | O>().superRefine((value, ctx) => {
    if (typeof value !== 'string' && !isRecord(value)) {
      addSpecIssue(ctx, 'INVALID_FIELD', `expected ${expected}, got ${describeValue(value)}`);
      return;
    }
    const result = (typeof value === 'string' ? text : object).safeParse(value);
    if (result.success) return;
    for (const issue of result.error.issues) {
      const [translated] = fromZodIssues([issue], '');
      const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
      if (translated) addSpecIssue(ctx, translated.code, translated.message, path);
    }
  });
}

const promptField = stringOrObject(
  z.string().regex(PROMPT_REF, { error: 'expected a prompt name such as "triage" or "triage@3"' }),
  strictFields(
    {
      name: z
        .string()
        .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, { error: 'expected a prompt name such as "triage"' }),
      version: z.int().min(1).optional(),
    },
    'a prompt reference',
  ) as z.ZodType<{ name: string; version?: number }>,
  'a prompt name or { name, version }',
);

/** A message's content: a template (`Ticket: {{input.title}}`) or `{ expression: <JSONata> }`. */
const contentField = stringOrObject(
  z.string().superRefine((text, ctx) => {
    try {
      parseTemplate(text, { file: 'spec', line: 1 });
    } catch (err) {
      addSpecIssue(ctx, 'INVALID_FIELD', `invalid template: ${(err as Error).message}`);
    }
  }),
  strictFields({ expression: expressionField() }, 'a message content') as z.ZodType<{ expression: string }>,
  'a template or { expression }',
);

const messageField = strictFields(
  {
    role: z.enum(['system', 'developer', 'user', 'assistant']),
    content: contentField,
  },
  'a message',
) as z.ZodType<{
  role: 'system' | 'developer' | 'user' | 'assistant';
  content: string | { expression: string };
}>;

const llmFields = z
  .object({
    /** A prompt file: `triage`, `triage@3` or `{ name, version }`; the latest version when none is given. */
    prompt: promptField.optional(),
    /** The prompt's variables: name to JSONata expression. */
    variables: z.record(z.string(), expressionField()).optional(),
    /** Messages written in the spec, instead of a prompt file. */
    messages: z.array(messageField).min(1).optional(),
    /** A route alias or `provider/model`; overrides the prompt's. */
    model: z.string().min(1).optional(),
    /** Sampling and length parameters (`temperature`, `max_tokens`, ...). */
    parameters: z.record(z.string(), z.unknown()).optional(),
    /** JSON Schema of a structured answer; overrides the prompt's. */
    output: jsonSchemaField().optional(),
    /** The run's budget for model calls, in USD. */
    budgetUsd: z.number().positive().optional(),
  })
  .superRefine((step, ctx) => {
    if (step.prompt !== undefined && step.messages !== undefined) {
      addSpecIssue(ctx, 'INVALID_FIELD', 'give either "prompt" or "messages", not both', ['messages']);
    } else if (step.prompt === undefined && step.messages === undefined) {
      addSpecIssue(ctx, 'INVALID_FIELD', 'an llm step needs "prompt" (a prompt file) or "messages"', [
        'prompt',
      ]);
    }
    if (step.messages !== undefined && step.model === undefined) {
      addSpecIssue(ctx, 'INVALID_FIELD', 'an llm step with "messages" needs a "model"', ['model']);
    }
    if (step.output !== undefined && typeof step.output !== 'object') {
      addSpecIssue(ctx, 'INVALID_SCHEMA', '"output" must be a JSON Schema object', ['output']);
    }
  });

/**
 * `llm`: one model call through the gateway, from a prompt file or messages written in the spec.
 * Templates in `messages` see `input`, `steps`, `run` and the step's `variables`.
 * @example
 * - id: classify
 *   kind: llm
 *   prompt: triage@1
 *   variables: { ticket: '$input' }
 * - id: summarize
 *   kind: llm
 *   model: fast
 *   messages:
 *     - { role: system, content: 'Summarize in one sentence.' }
 *     - { role: user, content: { expression: '$steps.fetch.body' } }
 *   output: { type: object, properties: { summary: { type: string } }, required: [summary] }
 */
export const llmSpecKind = defineSpecKind({
  kind: 'llm',
  description: 'calls a model through the gateway',
  fields: llmFields,
  compile(step, env): LlmStepConfig {
    const variables = compileVariables(step.variables, env);
    const messages = step.messages?.map((message, i) => compileMessage(message, i, env, variables));
    const prompt = step.prompt === undefined ? undefined : parsePromptRef(step.prompt);
    const options: LlmStepOptions = {
      ...(prompt ? { prompt } : {}),
      ...(variables ? { variables } : {}),
      ...(messages
        ? {
            messages: async (ctx: StepContext) => Promise.all(messages.map((message) => message(ctx))),
          }
        : {}),
      ...(step.model === undefined ? {} : { model: step.model }),
      ...(step.parameters === undefined ? {} : { parameters: step.parameters }),
      ...(isRecord(step.output) ? { outputJsonSchema: step.output } : {}),
      ...(step.budgetUsd === undefined ? {} : { budgetUsd: step.budgetUsd }),
    };
    return llm(options).config;
  },
});

type Variables = (ctx: StepContext) => Promise<Record<string, unknown>>;

function compileVariables(
  spec: Record<string, string> | undefined,
  env: SpecCompileEnv,
): Variables | undefined {
  if (spec === undefined) return undefined;
  const compiled = Object.entries(spec).map(
    ([name, text]) => [name, env.expression(text, `variables.${name}`)] as const,
  );
  return async (ctx) => {
    const out: Record<string, unknown> = {};
    for (const [name, expression] of compiled) out[name] = await expression.evaluate(ctx);
    return out;
  };
}

function compileMessage(
  message: z.output<typeof messageField>,
  index: number,
  env: SpecCompileEnv,
  variables: Variables | undefined,
): (ctx: StepContext) => Promise<ChatMessage> {
  const { role, content } = message;
  if (typeof content !== 'string') {
    const expression = env.expression(content.expression, `messages[${index}].content.expression`);
    return async (ctx) => ({ role, content: asText(await expression.evaluate(ctx)) });
  }
  const segments: TemplateSegment[] = parseTemplate(content, {
    file: `${env.path}.messages[${index}].content`,
    line: 1,
  });
  return async (ctx) => {
    const values = { input: ctx.input, steps: ctx.steps, run: ctx.run, ...(await variables?.(ctx)) };
    const rendered = renderTemplate(segments, values);
    if (rendered.missing.length > 0) {
      throw missingValues(env.path, index, rendered.missing);
    }
    return { role, content: rendered.text };
  };
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

function missingValues(path: string, index: number, missing: string[]): BatonError {
  return new BatonError(
    'PROMPT_VARIABLE_MISSING',
    `${path}.messages[${index}].content refers to ${missing.join(', ')}, which ${missing.length === 1 ? 'has' : 'have'} no value`,
    {
      hint: 'Templates see input, steps, run and the step variables; fix the reference or add a variable',
      details: { path: `${path}.messages[${index}].content`, missing },
    },
  );
}

const toolFields = z.object({
  /** The tool's registered name (`server.tool` for MCP tools). */
  tool: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, { error: 'expected a tool name such as "lookup_order"' }),
  /** A JSONata expression, or an object whose values are JSONata expressions; the run input when omitted. */
  input: stringOrObject(
    expressionField(),
    z.record(z.string(), expressionField()),
    'a JSONata expression or an object of them',
  ).optional(),
});

/**
 * `tool`: one tool call through the tool hub, its input computed from the run.
 * @example
 * - id: order
 *   kind: tool
 *   tool: lookup_order
 *   input: { id: '$input.order' }
 */
export const toolSpecKind = defineSpecKind({
  kind: 'tool',
  description: 'calls one tool through the tool hub',
  fields: toolFields,
  compile(step, env): ToolStepConfig {
    const input = compileInput(step.input, env);
    return { options: { tool: step.tool, input } };
  },
});

function compileInput(
  spec: string | Record<string, string> | undefined,
  env: SpecCompileEnv,
): (ctx: StepContext) => Promise<unknown> {
  if (spec === undefined) return async (ctx) => ctx.input;
  if (typeof spec === 'string') {
    const expression = env.expression(spec, 'input');
    return (ctx) => expression.evaluate(ctx);
  }
  const fields: Array<readonly [string, SpecExpression]> = Object.entries(spec).map(
    ([name, text]) => [name, env.expression(text, `input.${name}`)] as const,
  );
  return async (ctx) => {
    const out: Record<string, unknown> = {};
    for (const [name, expression] of fields) out[name] = await expression.evaluate(ctx);
    return out;
  };
}

const agentFields = strictFields(
  {
    agent: z.string().regex(/^[a-z][a-z0-9_-]{0,47}$/, 'expected a registered agent name'),
    task: expressionField(),
    input: stringOrObject(
      expressionField(),
      z.record(z.string(), expressionField()),
      'a JSONata expression or an object of them',
    ).optional(),
    limits: z
      .strictObject({
        maxIterations: z.number().int().min(1).optional(),
        maxToolCallsPerIteration: z.number().int().min(0).optional(),
        maxTokens: z.number().int().min(1).optional(),
        maxCostUsd: z.number().positive().optional(),
        timeoutMs: z.number().int().min(1).optional(),
        maxOutputTokens: z.number().int().min(1).optional(),
      })
      .optional(),
  },
  'an agent step',
);

/**
 * `agent`: a registered agent's tool-using loop, journaled. `task` is an expression (a string literal
 * in quotes, or computed from the run).
 * @example
 * - id: research
 *   kind: agent
 *   agent: researcher
 *   task: '"Research " & $input.topic'
 *   limits: { maxIterations: 8, maxCostUsd: 0.5 }
 */
export const agentSpecKind = defineSpecKind({
  kind: 'agent',
  description: "runs a registered agent's tool-using loop",
  fields: agentFields,
  compile(step, env): AgentStepConfig {
    const task = env.expression(step.task, 'task');
    const input = step.input === undefined ? undefined : compileInput(step.input, env);
    return {
      options: {
        agent: step.agent,
        task: async (ctx) => {
          const value = await task.evaluate(ctx);
          return typeof value === 'string' ? value : JSON.stringify(value);
        },
        ...(input ? { input } : {}),
        ...(step.limits ? { limits: step.limits as AgentLimits } : {}),
      },
    };
  },
});

/** The spec kinds of this module: `llm`, `tool` and `agent`. */
export function agentSpecKinds(): AnySpecKind[] {
  return [llmSpecKind, toolSpecKind, agentSpecKind];
}

/**
 * Registers `llm` and `tool` in a spec kind registry (the default one, which `Baton.register` uses,
 * unless another is given). Calling it again is harmless.
 * @throws BatonError `INVALID_ARGUMENT` when another kind already holds the name `llm` or `tool`.
 * @example
 * registerAgentSpecKinds();
 * await baton.register(await readFile('triage.yaml', 'utf8'));
 */
export function registerAgentSpecKinds(registry: SpecKindRegistry = specKinds): void {
  for (const kind of agentSpecKinds()) {
    if (registry.get(kind.kind) !== (kind as unknown)) registry.register(kind);
  }
}
