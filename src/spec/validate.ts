/**
 * Validation of workflow specs: every problem at once, each with a path into the document, a stable
 * code and a message saying what to change.
 * @module
 */
import { z } from 'zod';
import { checkGraphStructure, type SpecIssue } from '../core/graph.js';
import {
  commonStepFields,
  durationField,
  expressionField,
  jsonSchemaField,
  WORKFLOW_NAME,
} from './fields.js';
import { closest, fromZodIssues, isRecord, unknownFieldIssues } from './issues.js';
import type { SpecKind, SpecKindRegistry } from './kind.js';
import { specKinds } from './registry.js';
import type { StepSpec, WorkflowSpec } from './types.js';

/** Options of {@link validateSpec}. */
export interface ValidateSpecOptions {
  /** When given, every function a step calls must exist (`UNKNOWN_FUNCTION`). */
  hasFunction?: (name: string) => boolean;
  /** The step kinds to accept. @defaultValue {@link specKinds} */
  kinds?: SpecKindRegistry;
}

/** The result of {@link validateSpec}. */
export type SpecValidation = { ok: true; spec: WorkflowSpec } | { ok: false; issues: SpecIssue[] };

const workflowFields = {
  $schema: z.string().optional(),
  name: z.string().regex(WORKFLOW_NAME, {
    error: 'a workflow name must start with a letter and contain only letters, digits, "-", "_" and "."',
  }),
  version: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string().min(1)),
  description: z.string().optional(),
  input: jsonSchemaField().optional(),
  outputSchema: jsonSchemaField().optional(),
  output: expressionField().optional(),
  timeout: durationField().optional(),
};

const workflowSchema = z.object(workflowFields);

const WORKFLOW_KEYS = [...Object.keys(workflowFields), 'steps'];

/**
 * Validates a parsed spec document (see {@link parseSpecText}). Never throws on bad input: every problem
 * is returned as a {@link SpecIssue}, in document order, graph problems after field problems.
 * @example
 * const result = validateSpec(parseSpecText(text), { hasFunction: (name) => registry.has(name) });
 * if (!result.ok) for (const issue of result.issues) console.error(`${issue.path}: ${issue.message}`);
 */
export function validateSpec(doc: unknown, options: ValidateSpecOptions = {}): SpecValidation {
  const kinds = options.kinds ?? specKinds;
  if (!isRecord(doc)) {
    return {
      ok: false,
      issues: [
        {
          path: '',
          code: 'INVALID_FIELD',
          message: 'a workflow spec must be an object (a YAML or JSON mapping)',
        },
      ],
    };
  }
  const issues: SpecIssue[] = [...unknownFieldIssues(doc, WORKFLOW_KEYS, '', 'the workflow')];
  const top = workflowSchema.safeParse(pick(doc, Object.keys(workflowFields)), { reportInput: true });
  if (!top.success) issues.push(...fromZodIssues(top.error.issues, ''));

  const rawSteps = doc.steps;
  const steps: StepSpec[] = [];
  if (rawSteps === undefined) {
    issues.push({
      path: 'steps',
      code: 'INVALID_FIELD',
      message: '"steps" is required: a workflow needs a list of steps',
    });
  } else if (!Array.isArray(rawSteps)) {
    issues.push({ path: 'steps', code: 'INVALID_FIELD', message: '"steps" must be a list of steps' });
  } else if (rawSteps.length === 0) {
    issues.push({
      path: 'steps',
      code: 'EMPTY_WORKFLOW',
      message: 'the workflow has no steps; add at least one',
    });
  } else {
    const parsed = rawSteps.map((raw, i) => validateStep(raw, `steps[${i}]`, kinds, options.hasFunction));
    for (const result of parsed) {
      issues.push(...result.issues);
      if (result.step) steps.push(result.step);
    }
    const nodes = rawSteps.map((raw, i) => graphNode(raw, i));
    issues.push(...checkGraphStructure(nodes));
    issues.push(...checkTargets(parsed, nodes));
  }

  if (issues.length > 0 || !top.success) return { ok: false, issues };
  const spec = { ...inKeyOrder(doc, top.data), steps } as WorkflowSpec;
  // A deep JSON copy: the stored definition must not share objects with the caller's document.
  return { ok: true, spec: JSON.parse(JSON.stringify(spec)) as WorkflowSpec };
}

interface StepResult {
  /** Set when the step is valid. */
  step?: StepSpec;
  /** Set when the kind's own fields are valid: what the kind's reference hooks read. */
  fields?: StepSpec;
  kind?: SpecKind;
  path: string;
  issues: SpecIssue[];
}

function validateStep(
  raw: unknown,
  path: string,
  kinds: SpecKindRegistry,
  hasFunction: ((name: string) => boolean) | undefined,
): StepResult {
  if (!isRecord(raw)) {
    return {
      path,
      issues: [
        { path, code: 'INVALID_FIELD', message: 'a step must be an object with an "id" and a "kind"' },
      ],
    };
  }
  const issues: SpecIssue[] = [];
  const kind = typeof raw.kind === 'string' ? kinds.get(raw.kind) : undefined;
  if (typeof raw.kind === 'string' && !kind) {
    const known = kinds.names();
    const guess = closest(raw.kind, known);
    issues.push({
      path: `${path}.kind`,
      code: 'UNKNOWN_STEP_KIND',
      message: `unknown step kind "${raw.kind}"${guess ? `; did you mean "${guess}"?` : ''} (known kinds: ${known.join(', ')})`,
    });
  }
  const kindKeys = kind ? Object.keys(kind.fields.shape) : [];
  const { schema: commonSchema, keys: commonKeys } = commonSchemaFor(kind);
  const common = commonSchema.safeParse(pick(raw, commonKeys), { reportInput: true });
  if (!common.success) issues.push(...fromZodIssues(common.error.issues, path));
  if (!kind) return { path, issues };

  issues.push(...unknownFieldIssues(raw, [...commonKeys, ...kindKeys], path, `a ${kind.kind} step`));
  const own = kind.fields.safeParse(pick(raw, kindKeys), { reportInput: true });
  if (!own.success) {
    issues.push(...fromZodIssues(own.error.issues, path));
    return { path, kind, issues };
  }
  // The kind's hooks read only its own fields, so references are checked even when a common field is wrong.
  const fields = inKeyOrder(raw, {
    ...(common.success ? common.data : pick(raw, commonKeys)),
    ...own.data,
  }) as StepSpec;
  if (hasFunction) issues.push(...unknownFunctions(raw, fields, kind, path, hasFunction));
  return { path, kind, fields, issues, ...(issues.length === 0 ? { step: fields } : {}) };
}

const commonSchemas = new WeakMap<SpecKind, { schema: z.ZodObject; keys: string[] }>();
const allCommon = { schema: z.object(commonStepFields), keys: Object.keys(commonStepFields) };

/** The common fields a step of `kind` takes (all but those the kind redefines), built once per kind. */
function commonSchemaFor(kind: SpecKind | undefined): { schema: z.ZodObject; keys: string[] } {
  if (!kind) return allCommon;
  let cached = commonSchemas.get(kind);
  if (!cached) {
    const keys = Object.keys(commonStepFields).filter((key) => !(key in kind.fields.shape));
    cached = { schema: z.object(pick(commonStepFields, keys) as z.ZodRawShape), keys };
    commonSchemas.set(kind, cached);
  }
  return cached;
}

function unknownFunctions(
  raw: Record<string, unknown>,
  fields: StepSpec,
  kind: SpecKind,
  path: string,
  hasFunction: (name: string) => boolean,
): SpecIssue[] {
  const calls = [...(kind.functions?.(fields) ?? [])];
  const compensate = raw.compensate;
  if (isRecord(compensate) && typeof compensate.fn === 'string' && compensate.fn !== '') {
    calls.push({ name: compensate.fn, path: 'compensate.fn' });
  }
  return calls
    .filter((call) => !hasFunction(call.name))
    .map((call) => ({
      path: `${path}.${call.path}`,
      code: 'UNKNOWN_FUNCTION',
      message: `function "${call.name}" is not registered; register it before loading this spec, or fix the name`,
    }));
}

/** The id and needs the graph check sees, as far as they can be read from a possibly invalid step. */
function graphNode(raw: unknown, index: number): { id: string; needs: string[] } {
  if (!isRecord(raw)) return { id: `<steps[${index}]>`, needs: [] };
  const id = typeof raw.id === 'string' ? raw.id : `<steps[${index}]>`;
  const needs =
    Array.isArray(raw.needs) && raw.needs.every((n) => typeof n === 'string') ? (raw.needs as string[]) : [];
  return { id, needs };
}

function checkTargets(
  parsed: readonly StepResult[],
  nodes: ReadonlyArray<{ id: string; needs: string[] }>,
): SpecIssue[] {
  const issues: SpecIssue[] = [];
  parsed.forEach(({ fields, kind, path }, i) => {
    if (!fields || !kind?.targets) return;
    const id = nodes[i]?.id ?? '';
    for (const target of kind.targets(fields)) {
      const node = nodes.find((n) => n.id === target.name);
      const at = `${path}.${target.path}`;
      if (!node) {
        issues.push({
          path: at,
          code: 'UNKNOWN_BRANCH_TARGET',
          message: `${kind.kind} "${id}" targets "${target.name}", which is not a step of this workflow`,
        });
      } else if (!node.needs.includes(id)) {
        issues.push({
          path: at,
          code: 'BRANCH_TARGET_NOT_DEPENDENT',
          message: `${kind.kind} "${id}" targets "${target.name}", which does not need it; add "${id}" to the needs of "${target.name}"`,
        });
      }
    }
  });
  return issues;
}

function pick<T extends Record<string, unknown>>(value: T, keys: readonly string[]): Partial<T> {
  const out: Partial<T> = {};
  for (const key of keys) if (Object.hasOwn(value, key)) out[key as keyof T] = value[key as keyof T];
  return out;
}

/** `parsed`'s entries in the order the author wrote them in `raw` (stable display and diffs). */
function inKeyOrder(raw: Record<string, unknown>, parsed: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) if (parsed[key] !== undefined) out[key] = parsed[key];
  for (const key of Object.keys(parsed))
    if (!(key in out) && parsed[key] !== undefined) out[key] = parsed[key];
  return out;
}
