/**
 * Reading spec files: YAML or JSON text into a plain document, with syntax errors located by line and column.
 * @module
 */
import { isMap, isScalar, parseDocument } from 'yaml';
import { BatonError } from '../core/errors.js';

/** The text formats a spec may be written in. */
export type SpecFormat = 'yaml' | 'json';

/** Where a syntax error is, 1-based. */
export interface SpecSyntaxError {
  message: string;
  line: number;
  column: number;
  code?: string;
}

/** Guards against alias bombs ("billion laughs") in YAML. */
const MAX_YAML_ALIASES = 100;

/**
 * Parses spec text. Without `format`, text starting with `{` or `[` is read as JSON, anything else as
 * YAML. A YAML `version: 1.10` keeps its written form (`"1.10"`), not the number 1.1.
 * @throws BatonError `INVALID_SPEC` with `details: { format, line, column, errors }` on a syntax error.
 * @example
 * const doc = parseSpecText(await readFile('invoice.yaml', 'utf8'));
 */
export function parseSpecText(text: string, format?: SpecFormat): unknown {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const chosen = format ?? (/^\s*[[{]/.test(source) ? 'json' : 'yaml');
  return chosen === 'json' ? parseJson(source) : parseYaml(source);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const { line, column } = jsonErrorLocation(text, message);
    throw syntaxError('json', [{ message, line, column }], err);
  }
}

/**
 * Newer Node versions report `(line L column C)`; Node 20 reports `at position N`, or for an unexpected
 * token only a snippet of up to 10 characters either side of it (V8's JsonParser), from which the
 * offset is recovered.
 */
function jsonErrorLocation(text: string, message: string): { line: number; column: number } {
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) return { line: Number(lineColumn[1]), column: Number(lineColumn[2]) };
  const offset = jsonErrorOffset(text, message);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

const SNIPPET_CONTEXT = 10;

function jsonErrorOffset(text: string, message: string): number {
  const position = /at position (\d+)/.exec(message);
  if (position) return Number(position[1]);
  const snippet = /^Unexpected token '(.+?)', (\.\.\.)?"([\s\S]*?)"(\.\.\.)? is not valid JSON$/.exec(
    message,
  );
  if (!snippet) return text.length;
  const [, token = '', cutBefore, context = '', cutAfter] = snippet;
  if (cutBefore) {
    const start = text.indexOf(context);
    return start < 0 ? text.length : start + SNIPPET_CONTEXT;
  }
  if (cutAfter) return context.length - SNIPPET_CONTEXT;
  const at = text.indexOf(token);
  return at < 0 ? text.length : at;
}

function parseYaml(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((error): SpecSyntaxError => {
      const at = error.linePos?.[0];
      return {
        message: error.message.split('\n')[0]?.replace(/:$/, '') ?? error.message,
        line: at?.line ?? 1,
        column: at?.col ?? 1,
        code: error.code,
      };
    });
    throw syntaxError('yaml', errors, doc.errors[0]);
  }
  if (isMap(doc.contents)) {
    const version = doc.contents.get('version', true);
    // Keep the label as written: YAML reads `1.10` as 1.1 and `2.0` as 2.
    if (isScalar(version) && typeof version.value === 'number' && typeof version.source === 'string') {
      doc.set('version', version.source);
    }
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    throw new BatonError(
      'INVALID_SPEC',
      `spec YAML cannot be read: ${err instanceof Error ? err.message : String(err)}`,
      {
        details: { format: 'yaml' },
        hint: 'Use fewer YAML aliases',
        cause: err,
      },
    );
  }
}

function syntaxError(format: SpecFormat, errors: SpecSyntaxError[], cause: unknown): BatonError {
  const first = errors[0] as SpecSyntaxError;
  const where = `line ${first.line}, column ${first.column}`;
  const message = format === 'yaml' ? first.message : `${first.message} (${where})`;
  return new BatonError('INVALID_SPEC', `spec is not valid ${format.toUpperCase()}: ${message}`, {
    details: { format, line: first.line, column: first.column, errors },
    hint: `Fix the syntax at ${where}`,
    cause,
  });
}
