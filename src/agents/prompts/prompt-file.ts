/**
 * Reading one prompt file (`prompts/<name>/v<N>.md`): YAML front matter between `---` lines, then a
 * body of message sections with `{{variable}}` references. The format is described in this folder's
 * README.md. Parsing is pure: no file system, so the library and tests share it.
 * @module
 */
import { type Document, isMap, isNode, isScalar, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { BatonError } from '../../core/errors.js';
import { isVariableName, parseTemplate, type TemplateSegment } from './template.js';

/** The roles a body section may have. Tool messages come from calls, never from a prompt file. */
export type PromptRole = 'system' | 'developer' | 'user' | 'assistant';

/** A response-format name as OpenAI accepts it. */
const FORMAT_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** A schema file name under `schemas/`: no dots or slashes, so it cannot leave that folder. */
const SCHEMA_FILE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Keys a prompt sets elsewhere, which `parameters` must not override. */
const RESERVED_PARAMETERS = ['model', 'messages', 'response_format', 'stream'];

/** Sampling parameters, sent with the request as written (OpenAI names). Unknown keys pass through. */
export const promptParametersSchema = z
  .looseObject({
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    max_tokens: z.number().int().positive().optional(),
    max_completion_tokens: z.number().int().positive().optional(),
    stop: z.union([z.string(), z.array(z.string())]).optional(),
    seed: z.number().int().optional(),
    presence_penalty: z.number().min(-2).max(2).optional(),
    frequency_penalty: z.number().min(-2).max(2).optional(),
  })
  .superRefine((parameters, ctx) => {
    for (const key of RESERVED_PARAMETERS) {
      if (Object.hasOwn(parameters, key)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `\`${key}\` is set by the prompt itself, not by parameters`,
        });
      }
    }
  });

/** The output schema of a prompt: a file in `schemas/` or inline JSON Schema, exactly one of them. */
export const promptOutputSchema = z
  .strictObject({
    /** `<schema>` names `prompts/<name>/schemas/<schema>.json`. */
    schema: z.string().regex(SCHEMA_FILE_NAME, 'a schema name is letters, digits, _ and -').optional(),
    jsonSchema: z.record(z.string(), z.unknown()).optional(),
    /** The `json_schema.name` sent to the model; defaults to the schema name or the prompt name. */
    name: z.string().regex(FORMAT_NAME, 'a format name is 1-64 letters, digits, _ and -').optional(),
    /** Whether the provider must follow the schema exactly. @defaultValue true */
    strict: z.boolean().default(true),
  })
  .refine((output) => (output.schema === undefined) !== (output.jsonSchema === undefined), {
    message: 'give exactly one of `schema` (a file in schemas/) or `jsonSchema` (inline JSON Schema)',
  });

const variableDeclarationSchema = z
  .strictObject({ description: z.string().optional(), default: z.unknown().optional() })
  .nullable()
  .transform((declaration) => declaration ?? {});

/** The front matter of a prompt file. Unknown keys are an error, so a typo cannot go unnoticed. */
export const promptFrontMatterSchema = z.strictObject({
  /** A gateway route alias (`fast`) or a `provider/model` target. */
  model: z.string().regex(/^\S+$/, 'a model is a non-empty alias without spaces'),
  description: z.string().optional(),
  parameters: promptParametersSchema.default({}),
  output: promptOutputSchema.optional(),
  /**
   * Declared variables. When present, the body may use only these names, and a `default` fills a
   * variable the caller leaves out.
   */
  variables: z
    .record(
      z
        .string()
        .refine(isVariableName, 'a variable name is letters, digits and _, not starting with a digit'),
      variableDeclarationSchema,
    )
    .optional(),
});

/** Sampling parameters of a prompt. */
export type PromptParameters = z.infer<typeof promptParametersSchema>;
/** The output section of a prompt's front matter. */
export type PromptOutput = z.infer<typeof promptOutputSchema>;
/** A declared variable: what it is for and the value used when the caller gives none. */
export interface VariableDeclaration {
  description?: string;
  default?: unknown;
}
/** The validated front matter. */
export type PromptFrontMatter = z.infer<typeof promptFrontMatterSchema>;

/** One message of the body, parsed into text and variable references. */
export interface MessageTemplate {
  role: PromptRole;
  segments: TemplateSegment[];
  /** The 1-based file line where the message's text starts. */
  line: number;
}

/** A parsed prompt file, before the library resolves its schema file and hash. */
export interface PromptDefinition extends PromptFrontMatter {
  /** The file, as named in errors. */
  file: string;
  messages: MessageTemplate[];
  /** Every variable reference of the body (`ticket.title`), in order of first use. */
  references: string[];
}

const ROLE_HEADING = /^# (system|developer|user|assistant)[ \t]*$/;
const ESCAPED_ROLE_HEADING = /^\\(# (?:system|developer|user|assistant)[ \t]*)$/;
const FENCE = /^---[ \t]*$/;
/** Guards against alias bombs ("billion laughs") in YAML. */
const MAX_YAML_ALIASES = 100;

/**
 * Parses the text of one prompt file.
 * @param file - the path shown in errors.
 * @throws BatonError `PROMPT_INVALID` naming the file and line: missing or invalid front matter, text
 * before the first role heading, an empty section, a bad `{{reference}}`, or an undeclared variable.
 * @example
 * const prompt = parsePromptFile(await readFile(path, 'utf8'), path);
 */
export function parsePromptFile(text: string, file: string): PromptDefinition {
  const lines = normalizePromptText(text).split('\n');
  if (!FENCE.test(lines[0] ?? '')) {
    throw promptError(file, 1, 'a prompt file starts with front matter between `---` lines', {
      hint: 'Begin the file with `---`, then at least `model: <alias>`, then `---`',
    });
  }
  const close = lines.findIndex((line, index) => index > 0 && FENCE.test(line));
  if (close < 0) throw promptError(file, 1, 'the front matter is never closed by a `---` line');
  const frontMatter = parseFrontMatter(lines.slice(1, close).join('\n'), file);
  const messages = parseBody(lines.slice(close + 1), close + 2, file);

  const references: string[] = [];
  for (const message of messages) {
    for (const segment of message.segments) {
      if (segment.kind !== 'variable') continue;
      const root = segment.path[0] as string;
      if (frontMatter.variables && !Object.hasOwn(frontMatter.variables, root)) {
        throw promptError(
          file,
          segment.line,
          `\`{{${segment.ref}}}\` uses \`${root}\`, which is not declared`,
          {
            hint: `Add \`${root}\` under \`variables\` in the front matter, or fix the name`,
          },
        );
      }
      if (!references.includes(segment.ref)) references.push(segment.ref);
    }
  }
  return { ...frontMatter, file, messages, references };
}

/**
 * The text the parser and the hash see: no byte-order mark, `\n` line ends. A checkout that turns line
 * ends into CRLF must not look like an edited version.
 */
export function normalizePromptText(text: string): string {
  const unmarked = text.startsWith('\uFEFF') ? text.slice(1) : text;
  return unmarked.replace(/\r\n?/g, '\n');
}

function parseFrontMatter(yaml: string, file: string): PromptFrontMatter {
  // The YAML starts on the file's second line.
  const lineOffset = 1;
  const lineCounter = new LineCounter();
  const doc = parseDocument(yaml, { lineCounter, prettyErrors: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = (syntax.linePos?.[0]?.line ?? 1) + lineOffset;
    const message = syntax.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? '';
    throw promptError(file, line, `front matter is not valid YAML: ${message}`, { cause: syntax });
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    throw promptError(file, 2, 'front matter cannot be read', { hint: 'Use fewer YAML aliases', cause: err });
  }
  const parsed = promptFrontMatterSchema.safeParse(data ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => ({
    line: issueLine(doc, lineCounter, issue) + lineOffset,
    path: issue.path.join('.'),
    message: issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message,
  }));
  const first = problems[0] as (typeof problems)[number];
  const summary = problems
    .map((problem) => `line ${problem.line}${problem.path ? ` \`${problem.path}\`` : ''}: ${problem.message}`)
    .join('; ');
  throw promptError(file, first.line, `invalid front matter: ${summary}`, {
    hint: 'Front matter keys are model (required), description, parameters, output and variables',
    details: { problems },
    cause: parsed.error,
  });
}

/** The 1-based line (within the YAML) of the node an issue is about, or of its nearest parent; 0 if none. */
function issueLine(doc: Document, lineCounter: LineCounter, issue: z.core.$ZodIssue): number {
  const path = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const parent = path.length > 0 ? doc.getIn(path, true) : doc.contents;
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === issue.keys[0]);
      if (isNode(pair?.key) && pair.key.range) return lineCounter.linePos(pair.key.range[0]).line;
    }
  }
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth > 0 ? doc.getIn(path.slice(0, depth), true) : doc.contents;
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  // Empty front matter: point at the opening `---`.
  return 0;
}

/**
 * Splits the body into messages. A line that is exactly `# system`, `# developer`, `# user` or
 * `# assistant` starts a message; a body without such lines is one user message.
 */
function parseBody(lines: string[], firstLine: number, file: string): MessageTemplate[] {
  const sections: Array<{ role: PromptRole; line: number; lines: string[] }> = [];
  let preamble: { line: number; lines: string[] } | undefined = { line: firstLine, lines: [] };
  lines.forEach((text, index) => {
    const heading = ROLE_HEADING.exec(text);
    if (heading) {
      preamble = undefined;
      sections.push({ role: heading[1] as PromptRole, line: firstLine + index, lines: [] });
      return;
    }
    const line = text.replace(ESCAPED_ROLE_HEADING, '$1');
    if (preamble) preamble.lines.push(line);
    else sections.at(-1)?.lines.push(line);
  });

  if (sections.length === 0) {
    return [
      toMessage(
        'user',
        firstLine,
        lines.map((text) => text.replace(ESCAPED_ROLE_HEADING, '$1')),
        file,
      ),
    ];
  }
  const strayIndex = lines.findIndex((text) => text.trim() !== '');
  const firstHeading = sections[0] as (typeof sections)[number];
  if (firstLine + strayIndex < firstHeading.line) {
    throw promptError(
      file,
      firstLine + strayIndex,
      `text before the first role heading (line ${firstHeading.line})`,
      {
        hint: `Put it under a \`# user\` or \`# system\` heading, or, if line ${firstHeading.line} is meant as text, write it as \`\\${lines[firstHeading.line - firstLine]?.trim()}\``,
      },
    );
  }
  return sections.map((section) =>
    toMessage(section.role, section.line + 1, section.lines, file, section.line),
  );
}

function toMessage(
  role: PromptRole,
  firstLine: number,
  lines: string[],
  file: string,
  headingLine?: number,
): MessageTemplate {
  const start = lines.findIndex((text) => text.trim() !== '');
  if (start < 0) {
    throw promptError(file, headingLine ?? firstLine, `the ${role} message is empty`, {
      hint:
        headingLine === undefined
          ? 'Write the prompt below the front matter'
          : 'Write its text or remove the heading',
    });
  }
  let end = lines.length;
  while (end > start && (lines[end - 1] ?? '').trim() === '') end--;
  const text = lines.slice(start, end).join('\n').trimEnd();
  const line = firstLine + start;
  return { role, line, segments: parseTemplate(text, { file, line }) };
}

function promptError(
  file: string,
  line: number,
  problem: string,
  options: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {},
): BatonError {
  return new BatonError('PROMPT_INVALID', `${file}:${line}: ${problem}`, {
    hint: options.hint ?? 'Fix the prompt file',
    details: { file, line, ...options.details },
    cause: options.cause,
  });
}
