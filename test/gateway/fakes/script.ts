/**
 * What the fake upstreams answer, in provider-neutral terms: a test scripts a {@link ScriptedReply}
 * (text, tool calls, JSON, usage) and each provider renders it in its own wire format. Without a
 * script, the answer is deterministic: an echo of the last user message.
 */
import { createHash } from 'node:crypto';
import type { RecordedRequest } from './fake-server.js';

/**
 * Token counts in neutral terms; each provider maps them to its own fields:
 * OpenAI `prompt_tokens` = input + cachedInput + cacheWrite, `completion_tokens` = output + reasoning;
 * Anthropic `input_tokens` = input, `cache_read_input_tokens` = cachedInput,
 * `cache_creation_input_tokens` = cacheWrite, `output_tokens` = output + reasoning;
 * Gemini `promptTokenCount` = input + cachedInput + cacheWrite, `cachedContentTokenCount` = cachedInput,
 * `candidatesTokenCount` = output, `thoughtsTokenCount` = reasoning.
 */
export interface FakeUsage {
  /** Prompt tokens not read from a cache. */
  inputTokens: number;
  /** Prompt tokens read from a cache. */
  cachedInputTokens: number;
  /** Prompt tokens written to a cache (Anthropic bills these apart). */
  cacheWriteTokens: number;
  /** Visible output tokens. */
  outputTokens: number;
  /** Hidden reasoning (thinking) tokens. */
  reasoningTokens: number;
}

/** A tool call the fake model makes. */
export interface FakeToolCall {
  /** @defaultValue `call_<n>` (OpenAI), `toolu_<n>` (Anthropic); Gemini sends no id */
  id?: string;
  name: string;
  arguments: Record<string, unknown>;
}

/** One scripted answer. Everything is optional; what is absent takes its default. */
export interface ScriptedReply {
  /** The answer text. @defaultValue `echo: <last user message>` (or JSON when JSON output was asked for) */
  text?: string;
  /** Answer with this value serialized as JSON (overrides `text`). */
  json?: unknown;
  /**
   * Tool calls; `'first-tool'` calls the first tool of the request with arguments made up from its
   * schema. With tool calls, the answer stops for tool use.
   */
  toolCalls?: FakeToolCall[] | 'first-tool';
  /** Token counts. @defaultValue input from the request's length, output from the answer's */
  usage?: Partial<FakeUsage>;
  /** Stop because of the token limit (`length` / `max_tokens` / `MAX_TOKENS`). */
  truncated?: boolean;
}

/** A fixed reply for every request, a queue of replies (then defaults), or a function of the request. */
export type Script =
  | ScriptedReply
  | ScriptedReply[]
  | ((request: RecordedRequest, index: number) => ScriptedReply);

/** What a provider extracted from its request for the default answer. */
export interface RequestView {
  lastUserText: string;
  /** All the prompt text, for the default input token count. */
  promptText: string;
  tools: { name: string; schema: unknown }[];
  /** The JSON schema asked for, `{}` for "any JSON object", undefined for free text. */
  jsonSchema: unknown;
}

/** A reply with every default filled in. */
export interface ResolvedReply {
  text: string;
  toolCalls: Required<FakeToolCall>[];
  usage: FakeUsage;
  stop: 'end' | 'tool' | 'length';
}

/** Holds a server's script and resolves each request to a reply. */
export class Scripter {
  private script: Script | undefined;
  private served = 0;

  constructor(private readonly idPrefix: string) {}

  set(script: Script | undefined): void {
    this.script = Array.isArray(script) ? [...script] : script;
    this.served = 0;
  }

  resolve(request: RecordedRequest, view: RequestView): ResolvedReply {
    const index = this.served++;
    const script = this.script;
    let reply: ScriptedReply = {};
    if (typeof script === 'function') reply = script(request, index);
    else if (Array.isArray(script)) reply = script.shift() ?? {};
    else if (script) reply = script;
    return this.fill(reply, view, index);
  }

  private fill(reply: ScriptedReply, view: RequestView, index: number): ResolvedReply {
    let toolCalls: Required<FakeToolCall>[] = [];
    if (reply.toolCalls === 'first-tool') {
      const tool = view.tools[0];
      if (tool) {
        const args = sampleFromSchema(tool.schema);
        toolCalls = [{ id: `${this.idPrefix}${index}_0`, name: tool.name, arguments: asObject(args) }];
      }
    } else if (reply.toolCalls) {
      toolCalls = reply.toolCalls.map((call, n) => ({
        id: call.id ?? `${this.idPrefix}${index}_${n}`,
        ...call,
      }));
    }
    let text: string;
    if (reply.json !== undefined) text = JSON.stringify(reply.json);
    else if (reply.text !== undefined) text = reply.text;
    else if (toolCalls.length > 0) text = '';
    else if (view.jsonSchema !== undefined) text = JSON.stringify(defaultJson(view));
    else text = `echo: ${summarize(view.lastUserText)}`;
    const argsText = toolCalls.map((call) => JSON.stringify(call.arguments)).join('');
    const usage: FakeUsage = {
      inputTokens: countTokens(view.promptText),
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: countTokens(text + argsText),
      reasoningTokens: 0,
      ...reply.usage,
    };
    const stop = reply.truncated ? 'length' : toolCalls.length > 0 ? 'tool' : 'end';
    return { text, toolCalls, usage, stop };
  }
}

function defaultJson(view: RequestView): unknown {
  const schema = view.jsonSchema;
  if (schema && typeof schema === 'object' && Object.keys(schema).length > 0) return sampleFromSchema(schema);
  return { echo: summarize(view.lastUserText) };
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** The first 80 characters of a message, on one line. */
/**
 * The text of a message's content in any of the providers' shapes: a string, or an array of parts
 * (OpenAI content parts, Anthropic blocks, Gemini parts) whose `text` fields are joined.
 */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (part && typeof part === 'object' && 'text' in part ? String(part.text) : ''))
    .join('');
}

export function summarize(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 80)}…` : line;
}

/** A deterministic token estimate: one token per four characters, at least one for non-empty text. */
export function countTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * A value that satisfies a JSON schema (the common subset: type, properties, required, items, enum,
 * const, anyOf/oneOf, minItems). Gemini's upper-case types (`OBJECT`, `STRING`) are accepted too.
 */
export function sampleFromSchema(schema: unknown): unknown {
  if (!schema || typeof schema !== 'object') return {};
  const s = schema as Record<string, unknown>;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  const variants = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(variants) && variants.length > 0) return sampleFromSchema(variants[0]);
  const rawType = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  const type = typeof rawType === 'string' ? rawType.toLowerCase() : s.properties ? 'object' : undefined;
  switch (type) {
    case 'string':
      return 'text';
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array': {
      const count = typeof s.minItems === 'number' ? s.minItems : 1;
      return Array.from({ length: count }, () => sampleFromSchema(s.items));
    }
    default: {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(properties).map(([key, sub]) => [key, sampleFromSchema(sub)]));
    }
  }
}

/** Splits text into streaming deltas of about one word each (the text is their concatenation). */
export function splitText(text: string): string[] {
  const pieces = text.match(/\S+\s*|\s+/g) ?? [];
  return pieces.length > 0 ? pieces : [text];
}

/** Splits a string into `parts` non-empty slices (fewer when it is shorter). */
export function splitInto(text: string, parts: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / parts));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

/** A deterministic unit vector for a text: same text, same vector; different texts, different vectors. */
export function embedText(text: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}:${text}`).digest();
    for (let i = 0; i + 2 <= digest.length && values.length < dimensions; i += 2) {
      values.push(digest.readUInt16BE(i) / 32767.5 - 1);
    }
  }
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0)) || 1;
  return values.map((v) => v / norm);
}
