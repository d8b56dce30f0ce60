/**
 * How the offline model decides: the facts of a request that rules match on, the first matching
 * rule, and the answer it gives (or the default answer when no rule matches).
 * @module
 */
import { ProviderError } from '../../errors.js';
import type { ChatMessage, ChatRequest, ToolCall } from '../../types.js';
import { interpolate, type OfflineRule } from './rules.js';
import { jsonFromSchema } from './schema-json.js';

/** The text a rule matches on, taken once per request. */
export interface RequestFacts {
  /** The model after `offline/`. */
  model: string;
  /** The last user message's text, `''` when there is none. */
  lastUser: string;
  /** The system and developer messages' text, joined by newlines. */
  system: string;
  /** The latest `tool` message after the last user message, if any. */
  toolResult: string | undefined;
  /** Whether the request offers tools. */
  hasTools: boolean;
  /** Whether `response_format` asks for JSON (`json_object` or `json_schema`). */
  wantsJson: boolean;
  /** `response_format.json_schema.schema`, when given. */
  schema: Record<string, unknown> | undefined;
}

/** An answer before it is wrapped in a response or chunks. */
export interface OfflineAnswer {
  content: string | null;
  toolCalls: ToolCall[];
  /** The index of the rule that answered; `undefined` for the default answer. */
  rule: number | undefined;
}

/** The text of a message's content: a string, or its text parts joined by newlines. */
export function messageText(message: ChatMessage): string {
  const content = message.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : ''))
    .filter((t) => t !== '')
    .join('\n');
}

/** Takes the facts rules match on from a request. */
export function requestFacts(request: ChatRequest, model: string): RequestFacts {
  const messages = request.messages;
  let lastUserIndex = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'user') {
      lastUserIndex = i;
      break;
    }
  }
  let toolResult: string | undefined;
  for (let i = messages.length - 1; i > lastUserIndex; i--) {
    const m = messages[i];
    if (m?.role === 'tool') {
      toolResult = messageText(m);
      break;
    }
  }
  const format = request.response_format;
  return {
    model,
    lastUser: lastUserIndex >= 0 ? messageText(messages[lastUserIndex] as ChatMessage) : '',
    system: messages
      .filter((m) => m.role === 'system' || m.role === 'developer')
      .map(messageText)
      .join('\n'),
    toolResult,
    hasTools: (request.tools?.length ?? 0) > 0,
    wantsJson: format?.type === 'json_object' || format?.type === 'json_schema',
    schema: format?.type === 'json_schema' ? format.json_schema.schema : undefined,
  };
}

/** Whether every condition of the rule holds for the request. */
export function ruleMatches(rule: OfflineRule, facts: RequestFacts): boolean {
  const when = rule.when;
  if (!when) return true;
  if (when.model !== undefined && !globToRegExp(when.model.replace(/^offline\//, '')).test(facts.model))
    return false;
  if (when.prompt !== undefined && !includesFolded(facts.lastUser, when.prompt)) return false;
  if (when.promptMatches !== undefined && !new RegExp(when.promptMatches, 'i').test(facts.lastUser))
    return false;
  if (when.system !== undefined && !includesFolded(facts.system, when.system)) return false;
  if (when.toolResult !== undefined) {
    if (facts.toolResult === undefined || !includesFolded(facts.toolResult, when.toolResult)) return false;
  }
  if (when.hasTools !== undefined && when.hasTools !== facts.hasTools) return false;
  if (when.json !== undefined && when.json !== facts.wantsJson) return false;
  return true;
}

function includesFolded(text: string, needle: string): boolean {
  return text.toLowerCase().includes(needle.toLowerCase());
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/**
 * The answer to a request: the first matching rule's, else the default. Defaults, in order: a
 * `json_schema` request gets JSON generated from its schema; a `json_object` request gets
 * `{"echo": <last user text>}`; a turn with a tool result gets `[offline] tool result: <result>`;
 * anything else (tools offered or not) gets `[offline] echo: <last user text>`, without tool calls.
 * @throws ProviderError `PROVIDER_REJECTED` when a rule answers `from-schema` and the request has no schema.
 */
export function answerFor(
  rules: readonly OfflineRule[],
  request: ChatRequest,
  facts: RequestFacts,
  target: string,
): OfflineAnswer {
  const index = rules.findIndex((rule) => ruleMatches(rule, facts));
  const rule = rules[index];
  if (!rule) return defaultAnswer(facts);
  const vars = { lastUser: facts.lastUser, toolResult: facts.toolResult ?? '', model: facts.model };
  const spec = rule.answer;
  if (spec.json !== undefined) {
    if (spec.json !== 'from-schema')
      return { content: JSON.stringify(interpolate(spec.json, vars)), toolCalls: [], rule: index };
    if (facts.schema === undefined) {
      throw new ProviderError(
        'PROVIDER_REJECTED',
        `offline rule ${index}${rule.name ? ` (${rule.name})` : ''} answers json: from-schema but the request to ${target} has no response_format.json_schema.schema`,
        { target, hint: 'Send a json_schema response_format, or give the rule a literal json answer' },
      );
    }
    return { content: JSON.stringify(jsonFromSchema(facts.schema)), toolCalls: [], rule: index };
  }
  const firstId = priorToolCalls(request) + 1;
  const toolCalls = (spec.toolCalls ?? []).map((call, i): ToolCall => {
    const args =
      call.arguments === 'from-schema'
        ? jsonFromSchema(request.tools?.find((t) => t.function.name === call.name)?.function.parameters ?? {})
        : interpolate(call.arguments ?? {}, vars);
    return {
      id: `call_offline_${firstId + i}`,
      type: 'function',
      function: { name: call.name, arguments: JSON.stringify(args) },
    };
  });
  return { content: spec.text === undefined ? null : interpolate(spec.text, vars), toolCalls, rule: index };
}

function defaultAnswer(facts: RequestFacts): OfflineAnswer {
  if (facts.schema !== undefined)
    return { content: JSON.stringify(jsonFromSchema(facts.schema)), toolCalls: [], rule: undefined };
  if (facts.wantsJson)
    return { content: JSON.stringify({ echo: facts.lastUser }), toolCalls: [], rule: undefined };
  if (facts.toolResult !== undefined)
    return { content: `[offline] tool result: ${facts.toolResult}`, toolCalls: [], rule: undefined };
  return { content: `[offline] echo: ${facts.lastUser}`, toolCalls: [], rule: undefined };
}

/** Tool call ids count on from the calls already in the conversation, so they stay unique and stable. */
function priorToolCalls(request: ChatRequest): number {
  return request.messages.reduce((n, m) => n + (m.role === 'assistant' ? (m.tool_calls?.length ?? 0) : 0), 0);
}
