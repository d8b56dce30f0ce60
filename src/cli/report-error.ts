/**
 * How the `baton` command reports a failure: `error CODE: message`, the hint, validation issues, and
 * an exit code (2 for bad input or usage, 1 otherwise). Stack traces only with `BATON_DEBUG=1`.
 * @module
 */
import { isBatonError } from '../core/errors.js';
import { colorsEnabled, palette } from './format.js';

/** Exit code of a command refused because of what the user typed. */
export const EXIT_USAGE = 2;
/** Exit code of a command that failed (or a run that did not succeed). */
export const EXIT_FAILURE = 1;

const USAGE_CODES = new Set([
  'RUN_NOT_WAITING',
  'RUN_ALREADY_FINISHED',
  'CONFIG_INVALID',
  'PAYLOAD_TOO_LARGE',
  'IDEMPOTENCY_CONFLICT',
]);

/** Whether an error code means the input was wrong (exit 2) rather than the operation failing (exit 1). */
export function isUsageCode(code: string): boolean {
  return code.startsWith('INVALID_') || code.endsWith('_NOT_FOUND') || USAGE_CODES.has(code);
}

interface Issue {
  path?: unknown;
  code?: unknown;
  message?: unknown;
}

function issuesOf(details: unknown): Issue[] | undefined {
  const issues = (details as { issues?: unknown } | undefined)?.issues;
  return Array.isArray(issues) ? (issues as Issue[]) : undefined;
}

/** The message without the hint that `BatonError` appends to it. */
function bareMessage(message: string, hint: string | undefined): string {
  return hint && message.endsWith(`. ${hint}`) ? message.slice(0, -hint.length - 2) : message;
}

/** Prints an error to stderr and returns the exit code. */
export function reportError(
  error: unknown,
  json: boolean,
  write: (text: string) => void = (t) => process.stderr.write(t),
): number {
  const debug = process.env.BATON_DEBUG === '1';
  if (!isBatonError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    if (json) write(`${JSON.stringify({ error: { code: 'INTERNAL', message } })}\n`);
    else write(`error INTERNAL: ${message}\n`);
    if (debug && error instanceof Error && error.stack) write(`${error.stack}\n`);
    else if (!json) write('(set BATON_DEBUG=1 to see the stack trace)\n');
    return EXIT_FAILURE;
  }
  const issues = issuesOf(error.details);
  let message = bareMessage(error.message, error.hint);
  // Messages of validation errors may spell the issues out too; they are printed below, aligned.
  if (issues && !json) message = message.split('\n')[0] ?? message;
  if (json) {
    const body = {
      code: error.code,
      message,
      ...(error.hint ? { hint: error.hint } : {}),
      ...(error.details === undefined ? {} : { details: error.details }),
    };
    write(`${JSON.stringify({ error: body }, null, 2)}\n`);
  } else {
    const paint = palette(colorsEnabled(process.stderr));
    write(`${paint.red(`error ${error.code}:`)} ${message}\n`);
    const rows = (issues ?? []).map((issue) => {
      const raw = Array.isArray(issue.path) ? issue.path.join('.') : String(issue.path ?? '');
      return [raw === '' ? '(root)' : raw, String(issue.code ?? ''), String(issue.message ?? '')];
    });
    const pathWidth = Math.max(0, ...rows.map((r) => r[0]?.length ?? 0));
    const codeWidth = Math.max(0, ...rows.map((r) => r[1]?.length ?? 0));
    for (const [path = '', code = '', text = ''] of rows) {
      write(`  ${path.padEnd(pathWidth)}  ${paint.yellow(code.padEnd(codeWidth))}  ${text}\n`);
    }
    const hint = issues ? error.hint?.split('\n')[0]?.replace(/:\s*$/, '') : error.hint;
    if (hint) write(`${paint.dim('hint:')} ${hint}\n`);
  }
  if (debug && error.stack) write(`${error.stack}\n`);
  return isUsageCode(error.code) ? EXIT_USAGE : EXIT_FAILURE;
}
