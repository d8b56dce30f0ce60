/**
 * Spec issues: paths into the document (`steps[2].needs[0]`) and the translation of zod's issues into
 * {@link SpecIssue}s with messages an author can act on.
 * @module
 */
import type { z } from 'zod';
import type { SpecIssue, SpecIssueCode } from '../core/graph.js';

/** A path segment: an object key or an array index. */
export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Appends segments to a spec path: `joinPath('steps[1]', ['cases', 0, 'when'])` is `steps[1].cases[0].when`.
 * Keys that are not identifiers are quoted (`input.properties["first name"]`).
 */
export function joinPath(base: string, segments: readonly PropertyKey[]): string {
  let path = base;
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER.test(segment))
      path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(String(segment))}]`;
  }
  return path;
}

/** Extra data a custom zod issue carries to pick its {@link SpecIssueCode}. */
export interface SpecIssueParams {
  specCode: SpecIssueCode;
}

/** Adds a custom zod issue that becomes a spec issue with `code`. */
export function addSpecIssue(
  ctx: z.core.$RefinementCtx,
  code: SpecIssueCode,
  message: string,
  path: PathSegment[] = [],
): void {
  const params: SpecIssueParams = { specCode: code };
  ctx.addIssue({ code: 'custom', message, path, params, input: ctx.value });
}

/** Translates zod issues found under `base` into spec issues. */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], base: string): SpecIssue[] {
  return issues.map((issue) => ({
    path: joinPath(base, issue.path),
    code: issueCode(issue),
    message: issueMessage(issue),
  }));
}

function issueCode(issue: z.core.$ZodIssue): SpecIssueCode {
  if (issue.code === 'custom') {
    const params = issue.params as Partial<SpecIssueParams> | undefined;
    if (params?.specCode) return params.specCode;
  }
  return 'INVALID_FIELD';
}

function issueMessage(issue: z.core.$ZodIssue): string {
  const field = issue.path.at(-1);
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) {
        return typeof field === 'string' ? `"${field}" is required` : `a value is required`;
      }
      return `expected ${article(issue.expected)}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'array')
        return `needs at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return 'must not be empty';
      return `must be at least ${issue.minimum}${issue.inclusive === false ? ' (exclusive)' : ''}`;
    case 'too_big':
      if (issue.origin === 'array') return `allows at most ${issue.maximum} items`;
      return `must be at most ${issue.maximum}`;
    default:
      return issue.message;
  }
}

function article(expected: string): string {
  if (expected === 'int') return 'an integer';
  if (expected === 'array') return 'a list';
  if (expected === 'record') return 'an object';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** A short description of a value for messages: `a number (5)`, `a list`, `null`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value === 'number' ? 'the number' : 'the boolean'} ${value}`;
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}

/** The closest candidate within a small edit distance, to suggest for a typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d <= bestDistance) {
      best = candidate;
      bestDistance = d - 1;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The keys of `value` that are not in `known`, each with a message (typos are the usual cause). */
export function unknownFields(
  value: Record<string, unknown>,
  known: readonly string[],
  owner: string,
): Array<{ key: string; message: string }> {
  return Object.keys(value)
    .filter((key) => !known.includes(key))
    .map((key) => {
      const guess = closest(key, known);
      const suggestion = guess ? `; did you mean "${guess}"?` : '';
      return {
        key,
        message: `unknown field "${key}" on ${owner}${suggestion} (known fields: ${known.join(', ')})`,
      };
    });
}

/** {@link unknownFields} as spec issues under `base`. */
export function unknownFieldIssues(
  value: Record<string, unknown>,
  known: readonly string[],
  base: string,
  owner: string,
): SpecIssue[] {
  return unknownFields(value, known, owner).map(({ key, message }) => ({
    path: joinPath(base, [key]),
    code: 'INVALID_FIELD',
    message,
  }));
}

/** True for a non-null, non-array object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
