/**
 * The offline provider's script: rules that say what to answer to which request, loaded from a
 * YAML or JSON file (or given inline) and validated before the first call, so a typo fails at
 * startup with the file and the rule's index rather than as a surprising answer later.
 * @module
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { BatonError } from '../../../core/errors.js';

// The YAML parser is loaded only when a rules file is read: most gateways never read one.
const require = createRequire(import.meta.url);
function parseYaml(text: string): unknown {
  return (require('yaml') as typeof import('yaml')).parse(text);
}

/**
 * When a rule applies. Every condition is optional and all the given ones must hold; a rule with
 * no conditions matches every request.
 */
export interface OfflineRuleWhen {
  /** The model after `offline/`, exact or with `*` wildcards (`classifier-*`). */
  model?: string;
  /** A case-insensitive substring of the last user message's text. */
  prompt?: string;
  /** A regular expression (case-insensitive) tested against the last user message's text. */
  promptMatches?: string;
  /** A case-insensitive substring of the system and developer messages' text. */
  system?: string;
  /**
   * A case-insensitive substring of the tool result of the current turn: the latest `tool` message
   * after the last user message. `''` matches any such result; the condition fails when there is none.
   */
  toolResult?: string;
  /** Whether the request offers tools. */
  hasTools?: boolean;
  /** Whether the request asks for JSON output (`response_format` `json_object` or `json_schema`). */
  json?: boolean;
}

/** A tool call a rule answers with. */
export interface OfflineToolCall {
  /** The function's name. */
  name: string;
  /**
   * The arguments: an object (string values are interpolated), or `'from-schema'` for arguments
   * generated from the tool's `parameters` schema in the request.
   * @defaultValue `{}`
   */
  arguments?: Record<string, unknown> | 'from-schema';
}

/**
 * What a rule answers. `text` and `toolCalls` may be combined; `json` stands alone. Strings may
 * use `{{lastUser}}`, `{{toolResult}}` and `{{model}}`.
 */
export interface OfflineAnswerSpec {
  /** The assistant's text. */
  text?: string;
  /** Tool calls; the answer's `finish_reason` is then `tool_calls`. */
  toolCalls?: OfflineToolCall[];
  /** A JSON value sent as the content, or `'from-schema'` for JSON generated from the request's schema. */
  json?: unknown;
}

/** One rule of an offline script. Rules are tried in order; the first that matches answers. */
export interface OfflineRule {
  /** A label for error messages. */
  name?: string;
  /** The conditions; absent means always. */
  when?: OfflineRuleWhen;
  /** The answer. */
  answer: OfflineAnswerSpec;
  /** Token counts reported instead of the estimate, for cost-accounting examples. */
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

/** The placeholders answers may use. */
export const OFFLINE_PLACEHOLDERS = ['lastUser', 'toolResult', 'model'] as const;
const PLACEHOLDER_RE = /\{\{\s*(\w+)\s*\}\}/g;

const whenSchema = z.strictObject({
  model: z.string().min(1).optional(),
  prompt: z.string().optional(),
  promptMatches: z.string().min(1).optional(),
  system: z.string().optional(),
  toolResult: z.string().optional(),
  hasTools: z.boolean().optional(),
  json: z.boolean().optional(),
});

const toolCallSchema = z.strictObject({
  name: z.string().min(1),
  arguments: z.union([z.literal('from-schema'), z.record(z.string(), z.unknown())]).optional(),
});

const answerSchema = z
  .strictObject({
    text: z.string().optional(),
    toolCalls: z.array(toolCallSchema).min(1).optional(),
    json: z.unknown().optional(),
  })
  .refine((a) => a.text !== undefined || a.toolCalls !== undefined || a.json !== undefined, {
    message: 'an answer needs text, toolCalls or json',
  })
  .refine((a) => a.json === undefined || (a.text === undefined && a.toolCalls === undefined), {
    message: 'a json answer cannot be combined with text or toolCalls',
  });

const ruleSchema = z.strictObject({
  name: z.string().optional(),
  when: whenSchema.optional(),
  answer: answerSchema,
  usage: z
    .strictObject({
      prompt_tokens: z.int().nonnegative().optional(),
      completion_tokens: z.int().nonnegative().optional(),
    })
    .optional(),
});

// Fails to compile when the hand-written interfaces (kept for their docs) drift from the schema.
const ruleSchemaMatchesInterface: z.ZodType<OfflineRule> = ruleSchema;

// Chosen by shape rather than with z.union, whose failure would hide the offending rule's index.
const listSchema = z.array(ruleSchemaMatchesInterface);
const fileSchema = z.strictObject({ rules: listSchema });

/**
 * Reads and validates an offline rules file: YAML, or JSON when the name ends in `.json`. The file
 * is either a list of rules or `{ rules: [...] }`.
 * @throws BatonError `CONFIG_INVALID` naming the file and the first offending rule's index.
 * @example
 * const rules = loadOfflineRules('offline-rules.yaml');
 * const provider = createOfflineProvider({ rules });
 */
export function loadOfflineRules(path: string): OfflineRule[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new BatonError('CONFIG_INVALID', `cannot read the offline rules file ${path}`, {
      hint: 'Check the path of rulesFile (relative paths resolve from the current directory)',
      details: { file: path },
      cause,
    });
  }
  let data: unknown;
  try {
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new BatonError(
      'CONFIG_INVALID',
      `offline rules file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(cause as Error).message}`,
      { hint: 'Fix the syntax error at the position given', details: { file: path }, cause },
    );
  }
  return parseOfflineRules(data, path);
}

/**
 * Validates rules already parsed from a file or given inline; `source` names them in errors.
 * Also checks what the schema cannot: that `promptMatches` compiles and that placeholders exist.
 * @throws BatonError `CONFIG_INVALID` naming `source` and the first offending rule's index.
 */
export function parseOfflineRules(data: unknown, source: string): OfflineRule[] {
  const parsed = Array.isArray(data) ? listSchema.safeParse(data) : fileSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue): { rule?: number; path: string; message: string } => {
      const path = issue.path.map(String);
      const at = path[0] === 'rules' ? 1 : 0;
      const rule = issue.path[at];
      return typeof rule === 'number'
        ? { rule, path: path.slice(at + 1).join('.'), message: issue.message }
        : { path: path.join('.'), message: issue.message };
    });
    const first = issues.find((i) => i.rule !== undefined) ?? issues[0];
    const where =
      first?.rule !== undefined
        ? `rule ${first.rule}${ruleName(data, first.rule)}${first.path ? ` at ${first.path}` : ''}`
        : 'the file';
    throw new BatonError(
      'CONFIG_INVALID',
      `offline rules ${source} are invalid: ${where}: ${first?.message ?? 'unexpected shape'}`,
      {
        hint: 'Rules are a list (or { rules: [...] }) of { name?, when?, answer: { text | toolCalls | json }, usage? }',
        details: { file: source, issues },
      },
    );
  }
  const rules = Array.isArray(parsed.data) ? parsed.data : parsed.data.rules;
  for (const [index, rule] of rules.entries()) checkRule(rule, index, source);
  return rules;
}

function checkRule(rule: OfflineRule, index: number, source: string): void {
  const fail = (message: string, hint: string): never => {
    throw new BatonError(
      'CONFIG_INVALID',
      `offline rules ${source} are invalid: rule ${index}${rule.name ? ` (${rule.name})` : ''}: ${message}`,
      { hint, details: { file: source, issues: [{ rule: index, message }] } },
    );
  };
  if (rule.when?.promptMatches !== undefined) {
    try {
      new RegExp(rule.when.promptMatches, 'i');
    } catch (cause) {
      fail(`promptMatches is not a valid regular expression: ${(cause as Error).message}`, 'Fix the pattern');
    }
  }
  for (const text of stringsOf(rule.answer)) {
    for (const m of text.matchAll(PLACEHOLDER_RE)) {
      const name = m[1] ?? '';
      if (!(OFFLINE_PLACEHOLDERS as readonly string[]).includes(name)) {
        fail(
          `unknown placeholder {{${name}}}`,
          `Use one of ${OFFLINE_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
        );
      }
    }
  }
}

function ruleName(data: unknown, index: number): string {
  const list = Array.isArray(data) ? data : (data as { rules?: unknown } | null)?.rules;
  const name = Array.isArray(list) ? (list[index] as { name?: unknown } | undefined)?.name : undefined;
  return typeof name === 'string' ? ` (${name})` : '';
}

function* stringsOf(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const v of value) yield* stringsOf(v);
  else if (value !== null && typeof value === 'object')
    for (const v of Object.values(value)) yield* stringsOf(v);
}

/** Replaces `{{name}}` placeholders in every string of `value`, deeply. */
export function interpolate<T>(value: T, vars: Readonly<Record<string, string>>): T {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER_RE, (whole, name: string) => vars[name] ?? whole) as T;
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, vars)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars)])) as T;
  }
  return value;
}
