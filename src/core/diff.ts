import type { WorkflowVersion } from './types.js';

/** One changed field of a step or of the workflow. */
export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** What changed between two versions of a workflow. */
export interface VersionDiff {
  from: string;
  to: string;
  added: string[];
  removed: string[];
  changed: { stepId: string; changes: FieldChange[] }[];
  /** Changes outside the steps: input schema, output, timeout. */
  workflow: FieldChange[];
}

type Described = { steps?: Record<string, unknown>[] } & Record<string, unknown>;

/** Compares the stored definitions of two versions, step by step and field by field. */
export function diffVersions(a: WorkflowVersion, b: WorkflowVersion): VersionDiff {
  const da = (a.definition ?? {}) as Described;
  const db = (b.definition ?? {}) as Described;
  const stepsA = new Map((da.steps ?? []).map((s) => [String(s.id), s]));
  const stepsB = new Map((db.steps ?? []).map((s) => [String(s.id), s]));
  const changed: VersionDiff['changed'] = [];
  for (const [id, sb] of stepsB) {
    const sa = stepsA.get(id);
    if (!sa) continue;
    const changes = fieldChanges(sa, sb);
    if (changes.length > 0) changed.push({ stepId: id, changes });
  }
  const { steps: _a, ...restA } = da;
  const { steps: _b, ...restB } = db;
  return {
    from: a.id,
    to: b.id,
    added: [...stepsB.keys()].filter((id) => !stepsA.has(id)),
    removed: [...stepsA.keys()].filter((id) => !stepsB.has(id)),
    changed,
    workflow: fieldChanges(restA, restB),
  };
}

function fieldChanges(a: Record<string, unknown>, b: Record<string, unknown>): FieldChange[] {
  const out: FieldChange[] = [];
  for (const field of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[field]) !== JSON.stringify(b[field]))
      out.push({ field, from: a[field], to: b[field] });
  }
  return out;
}
