/**
 * The template language of prompt files: `{{name}}` and `{{object.path}}` references, nothing else.
 * There is no logic, no helper and no code execution. A value is inserted as text (strings as they
 * are, other values as JSON) and is never scanned again, so a value containing `{{x}}` stays literal.
 * `\{{` writes a literal `{{`.
 * @module
 */
import { BatonError } from '../../core/errors.js';

/** A piece of a parsed template: literal text, or a reference to a variable. */
export type TemplateSegment =
  | { kind: 'text'; text: string }
  | {
      kind: 'variable';
      /** The reference as written, without braces or spaces: `ticket.title`. */
      ref: string;
      /** `ref` split on dots: `['ticket', 'title']`. */
      path: string[];
      /** 1-based line in the prompt file. */
      line: number;
    };

/** Where a template sits in its file, for errors. */
export interface TemplateSource {
  file: string;
  /** The 1-based file line of the template's first character. */
  line: number;
}

const REFERENCE = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*$/;

/** True for a name a template may use as a top-level variable (`ticket`, `user_name`). */
export function isVariableName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/**
 * Splits template text into literal text and variable references.
 * @throws BatonError `PROMPT_INVALID` naming file and line for an unclosed `{{` or a reference that is
 * not a plain dotted path (`{{#if x}}`, `{{ a + b }}`, `{{{x}}}`).
 */
export function parseTemplate(text: string, source: TemplateSource): TemplateSegment[] {
  const segments: TemplateSegment[] = [];
  let literal = '';
  let index = 0;
  while (index < text.length) {
    const open = text.indexOf('{{', index);
    if (open < 0) {
      literal += text.slice(index);
      break;
    }
    if (open > 0 && text[open - 1] === '\\') {
      literal += `${text.slice(index, open - 1)}{{`;
      index = open + 2;
      continue;
    }
    literal += text.slice(index, open);
    const line = source.line + countNewlines(text, open);
    const close = text.indexOf('}}', open + 2);
    if (close < 0) {
      throw templateError(source.file, line, 'a `{{` is never closed with `}}`', 'Close it, or write `\\{{`');
    }
    const inner = text.slice(open + 2, close);
    const ref = inner.trim();
    if (!REFERENCE.test(ref) || inner.includes('\n')) {
      throw templateError(
        source.file,
        line,
        `\`{{${inner}}}\` is not a variable reference`,
        'Write {{name}} or {{object.path}}: templates have no logic or helpers; for a literal `{{` write `\\{{`',
      );
    }
    if (literal) segments.push({ kind: 'text', text: literal });
    literal = '';
    segments.push({ kind: 'variable', ref, path: ref.split('.'), line });
    index = close + 2;
  }
  if (literal) segments.push({ kind: 'text', text: literal });
  return segments;
}

/** The result of {@link renderTemplate}: the text, and every reference that had no value. */
export interface TemplateRendering {
  text: string;
  missing: string[];
}

/**
 * Fills a parsed template. A reference whose path does not resolve to a defined value is reported in
 * `missing` (and left empty in `text`); the caller decides to throw, so that every missing name of
 * every message is reported at once.
 */
export function renderTemplate(
  segments: readonly TemplateSegment[],
  values: Readonly<Record<string, unknown>>,
): TemplateRendering {
  let text = '';
  const missing: string[] = [];
  for (const segment of segments) {
    if (segment.kind === 'text') {
      text += segment.text;
      continue;
    }
    const found = resolvePath(values, segment.path);
    if (!found.ok) {
      if (!missing.includes(segment.ref)) missing.push(segment.ref);
      continue;
    }
    text += formatValue(found.value, segment.ref);
  }
  return { text, missing };
}

function resolvePath(values: Readonly<Record<string, unknown>>, path: readonly string[]) {
  let current: unknown = values;
  for (const key of path) {
    // Own properties only: `{{constructor}}` or `{{__proto__}}` must not reach the prototype chain.
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) {
      return { ok: false } as const;
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current === undefined ? ({ ok: false } as const) : ({ ok: true, value: current } as const);
}

/** Strings as they are; dates as ISO text; other values as indented JSON. */
function formatValue(value: unknown, ref: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'function' || typeof value === 'symbol') {
    throw new BatonError('INVALID_ARGUMENT', `prompt variable ${ref} is a ${typeof value}, not data`, {
      hint: 'Pass strings, numbers, booleans, arrays or plain objects',
    });
  }
  try {
    return JSON.stringify(value, null, 2);
  } catch (err) {
    throw new BatonError('INVALID_ARGUMENT', `prompt variable ${ref} cannot be written as JSON`, {
      hint: 'Pass plain data without cycles or BigInt fields',
      cause: err,
    });
  }
}

function countNewlines(text: string, end: number): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

function templateError(file: string, line: number, problem: string, hint: string): BatonError {
  return new BatonError('PROMPT_INVALID', `${file}:${line}: ${problem}`, { hint, details: { file, line } });
}
