/**
 * Parsing of command-line values into what the engine takes, each failure a `BatonError` that names
 * the option and shows the expected form. Everything is parsed before the engine is touched, so a
 * rejected command writes nothing.
 * @module
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDuration } from '../core/duration.js';
import { BatonError } from '../core/errors.js';
import type { RunStatus } from '../core/types.js';

/** Reads a file given on the command line, with an error that says which option it came from. */
export function readArgFile(path: string, what: string): string {
  try {
    return readFileSync(resolve(path), 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String(cause);
    throw new BatonError('INVALID_ARGUMENT', `cannot read ${what} file ${path}: ${reason}`, {
      hint: 'Check the path; it is relative to the current directory',
      cause,
    });
  }
}

/**
 * Parses a JSON value given inline (`'{"a":1}'`) or from a file (`@input.json`).
 * @param option - the option or argument name, for messages (`--input`).
 */
export function parseJsonArg(text: string, option: string): unknown {
  const fromFile = text.startsWith('@');
  const source = fromFile ? readArgFile(text.slice(1), option) : text;
  try {
    return JSON.parse(source);
  } catch (cause) {
    throw new BatonError(
      'INVALID_ARGUMENT',
      `could not parse ${option}${fromFile ? ` file ${text.slice(1)}` : ''} as JSON: ${(cause as Error).message}`,
      {
        hint: `Pass JSON, quoted for the shell (${option} '{"key":"value"}'), or a file (${option} @input.json)`,
        cause,
      },
    );
  }
}

/** Parses an integer option, optionally bounded below. */
export function parseIntArg(text: string, option: string, min = Number.MIN_SAFE_INTEGER): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new BatonError(
      'INVALID_ARGUMENT',
      `${option} must be an integer${min > Number.MIN_SAFE_INTEGER ? ` ≥ ${min}` : ''}, got "${text}"`,
    );
  }
  return n;
}

/** Parses a duration option (`500ms`, `30s`, `5m`, `30d`, or milliseconds) into milliseconds. */
export function parseDurationArg(text: string, option: string): number {
  try {
    return parseDuration(/^\d+$/.test(text.trim()) ? Number(text) : text);
  } catch (cause) {
    throw new BatonError(
      'INVALID_ARGUMENT',
      `${option} must be a duration such as 30s, 5m or 30d, got "${text}"`,
      { cause },
    );
  }
}

const RUN_STATUSES: readonly RunStatus[] = [
  'queued',
  'running',
  'waiting',
  'succeeded',
  'failed',
  'cancelled',
];

/** Parses `--status succeeded` or `--status failed,cancelled`. */
export function parseStatusArg(text: string): RunStatus[] {
  const statuses = text.split(',').map((s) => s.trim());
  const bad = statuses.filter((s) => !RUN_STATUSES.includes(s as RunStatus));
  if (bad.length > 0) {
    throw new BatonError('INVALID_ARGUMENT', `unknown run status ${bad.map((b) => `"${b}"`).join(', ')}`, {
      hint: `Use one or more of ${RUN_STATUSES.join(', ')}, separated by commas`,
    });
  }
  return statuses as RunStatus[];
}
