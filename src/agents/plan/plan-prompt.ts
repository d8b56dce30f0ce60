/**
 * What the planning model is told: the step templates it may use (kinds with their fields, the
 * allowed tools with their descriptions and input schemas, agents, functions, prompts), the limits,
 * and the JSON shape of a proposal.
 * @module
 */
import type { ChatMessage, ResponseFormat } from '../../gateway/types.js';
import type { SpecKindRegistry } from '../../spec/kind.js';
import type { ToolRegistry } from '../../tools/tool-registry.js';
import type { PlanAllow, PlanIssue } from './proposal.js';

/** What the prompt describes besides the allow-list. */
export interface PlanPromptContext {
  allow: PlanAllow;
  /** The model `llm` steps should name. */
  model: string;
  /** For the descriptions of kinds without a template here. */
  kinds: SpecKindRegistry;
  /** For the allowed tools' descriptions and input schemas. */
  tools?: ToolRegistry;
}

const COMMON = `Fields every step has: "id" (letters, digits, "_" and "-", starting with a letter; unique), "kind", and optionally "needs" (ids of the steps whose outputs it uses; they run first).
Expressions are JSONata: $input is the plan's input, $steps.<id> the output of step <id> (write $steps.\`my-id\` for ids with "-").`;

/** Describes the templates the plan may use, one paragraph per allowed kind. */
export async function describeTemplates(context: PlanPromptContext): Promise<string> {
  const { allow, model, kinds } = context;
  const parts: string[] = [];
  for (const kind of allow.kinds) {
    switch (kind) {
      case 'llm':
        parts.push(
          `- kind "llm": one model call. Fields: "model" (use "${model}"), "messages" (a list of {"role": "system" | "user", "content": text}; text may insert values with {{input.x}} or {{steps.<id>.x}}, or be {"expression": "<JSONata>"}), optional "output" (a JSON Schema: the answer is then JSON matching it).` +
            (allow.prompts && allow.prompts.length > 0
              ? ` Instead of "messages" it may name a prompt file with "prompt" (one of: ${allow.prompts.join(', ')}) and give its "variables" (name to JSONata expression).`
              : ''),
        );
        break;
      case 'tool':
        parts.push(
          `- kind "tool": calls one tool. Fields: "tool" (a name below), "input" (an object whose values are JSONata expressions, or one JSONata expression).\n  Tools:\n${await describeTools(allow.tools ?? [], context.tools)}`,
        );
        break;
      case 'agent':
        parts.push(
          `- kind "agent": runs an agent on a task. Fields: "agent" (one of: ${list(allow.agents)}), "input" (a JSONata expression).`,
        );
        break;
      case 'fn':
        parts.push(
          `- kind "fn": calls a registered function. Fields: "fn" (one of: ${list(allow.functions)}), "input" (a JSONata expression; the plan's input when omitted).`,
        );
        break;
      default:
        parts.push(`- kind "${kind}": ${kinds.get(kind)?.description ?? 'a step kind of this engine'}.`);
    }
  }
  return parts.join('\n');
}

/** The system message: templates, limits and the answer's shape. */
export async function planSystemMessage(context: PlanPromptContext): Promise<ChatMessage> {
  const { allow } = context;
  const content = [
    'You plan a small workflow that reaches a goal. Answer with only a JSON object:',
    '{"steps": [{"id": "...", "kind": "...", "needs": ["..."], ...fields of the kind}], "output": "<JSONata expression computing the result from $steps>"}',
    '',
    COMMON,
    '',
    'Step kinds you may use, and nothing else:',
    await describeTemplates(context),
    '',
    `Limits: at most ${allow.maxSteps} steps; the longest chain of "needs" is at most ${allow.maxDepth} steps. Steps without needs between them run in parallel.`,
  ].join('\n');
  return { role: 'system', content };
}

/** The user message: the goal and the input the plan will run on. */
export function planUserMessage(goal: string, input: unknown): ChatMessage {
  return {
    role: 'user',
    content: `Goal: ${goal}\n\nThe plan's input ($input):\n${JSON.stringify(input ?? null, null, 2)}`,
  };
}

/** The message asking for a corrected plan, listing every issue at its path. */
export function repairMessage(issues: readonly PlanIssue[]): ChatMessage {
  const lines = issues.map((i) => `- ${i.path || '(plan)'}: ${i.message} [${i.code}]`);
  return {
    role: 'user',
    content: `Your plan is invalid:\n${lines.join('\n')}\nAnswer again with the whole corrected plan, as JSON only.`,
  };
}

/** The `response_format` of a proposal; not strict, since each kind has its own fields. */
export function proposalFormat(allow: PlanAllow): ResponseFormat {
  return {
    type: 'json_schema',
    json_schema: {
      name: 'plan',
      strict: false,
      schema: {
        type: 'object',
        properties: {
          steps: {
            type: 'array',
            minItems: 1,
            maxItems: allow.maxSteps,
            items: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                kind: { type: 'string', enum: allow.kinds },
                needs: { type: 'array', items: { type: 'string' } },
              },
              required: ['id', 'kind'],
            },
          },
          output: { type: 'string' },
        },
        required: ['steps'],
      },
    },
  };
}

async function describeTools(names: readonly string[], registry: ToolRegistry | undefined): Promise<string> {
  if (names.length === 0) return '    (none)';
  const lines = await Promise.all(
    names.map(async (name) => {
      const tool = await registry?.resolve(name);
      if (!tool) return `    - ${name}`;
      return `    - ${name}: ${tool.description} Input schema: ${JSON.stringify(tool.inputSchema)}`;
    }),
  );
  return lines.join('\n');
}

function list(names: readonly string[] | undefined): string {
  return names && names.length > 0 ? names.join(', ') : '(none)';
}
