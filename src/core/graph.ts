import type { Graph, StepNode } from './types.js';

/** A problem found in a workflow graph or spec. `path` points into the spec (`steps[2].needs[0]`). */
export interface SpecIssue {
  path: string;
  code: SpecIssueCode;
  message: string;
}

/** Stable codes of spec problems. */
export type SpecIssueCode =
  | 'DUPLICATE_STEP_ID'
  | 'UNKNOWN_NEED'
  | 'SELF_NEED'
  | 'CYCLE'
  | 'UNREACHABLE_STEP'
  | 'UNKNOWN_STEP_KIND'
  | 'UNKNOWN_BRANCH_TARGET'
  | 'BRANCH_TARGET_NOT_DEPENDENT'
  | 'INVALID_SCHEMA'
  | 'INVALID_EXPRESSION'
  | 'INVALID_FIELD'
  | 'INVALID_DURATION'
  | 'UNKNOWN_FUNCTION'
  | 'EMPTY_WORKFLOW';

/** A graph with its lookups precomputed; built once per version and cached. */
export interface IndexedGraph {
  graph: Graph;
  byId: ReadonlyMap<string, StepNode>;
  dependents: ReadonlyMap<string, readonly string[]>;
  roots: readonly string[];
  /** Steps no step needs: their outputs make a run's default output. */
  sinks: readonly string[];
}

const indexCache = new WeakMap<Graph, IndexedGraph>();

/** Indexes a graph (memoised per graph object). */
export function indexGraph(graph: Graph): IndexedGraph {
  const cached = indexCache.get(graph);
  if (cached) return cached;
  const byId = new Map<string, StepNode>();
  const dependents = new Map<string, string[]>();
  for (const step of graph.steps) {
    byId.set(step.id, step);
    dependents.set(step.id, []);
  }
  for (const step of graph.steps) {
    for (const need of step.needs) dependents.get(need)?.push(step.id);
  }
  const roots = graph.steps.filter((s) => s.needs.length === 0).map((s) => s.id);
  const indexed: IndexedGraph = { graph, byId, dependents, roots, sinks: sinkStepIds(graph.steps) };
  indexCache.set(graph, indexed);
  return indexed;
}

/** The ids of the steps no step needs, in declaration order. */
export function sinkStepIds(steps: ReadonlyArray<Pick<StepNode, 'id' | 'needs'>>): string[] {
  const needed = new Set(steps.flatMap((s) => s.needs));
  return steps.filter((s) => !needed.has(s.id)).map((s) => s.id);
}

/**
 * Checks the structure of a set of steps: duplicate ids, unknown or self needs, cycles, and steps that
 * can never start because they depend on a cycle. Issues are reported in step order, each with its path.
 */
export function checkGraphStructure(steps: ReadonlyArray<Pick<StepNode, 'id' | 'needs'>>): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const index = new Map<string, number>();
  steps.forEach((step, i) => {
    if (index.has(step.id)) {
      issues.push({
        path: `steps[${i}].id`,
        code: 'DUPLICATE_STEP_ID',
        message: `step id "${step.id}" is already used by steps[${index.get(step.id)}]; give each step a unique id`,
      });
    } else {
      index.set(step.id, i);
    }
  });
  steps.forEach((step, i) => {
    step.needs.forEach((need, j) => {
      if (need === step.id) {
        issues.push({
          path: `steps[${i}].needs[${j}]`,
          code: 'SELF_NEED',
          message: `step "${step.id}" needs itself; remove "${need}" from its needs`,
        });
      } else if (!index.has(need)) {
        issues.push({
          path: `steps[${i}].needs[${j}]`,
          code: 'UNKNOWN_NEED',
          message: `step "${step.id}" needs "${need}", which is not a step of this workflow`,
        });
      }
    });
  });
  const cycles = findCycles(steps);
  const inCycle = new Set<string>();
  for (const cycle of cycles) {
    for (const id of cycle) inCycle.add(id);
    const first = cycle[0] as string;
    issues.push({
      path: `steps[${index.get(first)}].needs`,
      code: 'CYCLE',
      message: `steps form a cycle: ${[...cycle, first].join(' -> ')}; a step cannot (indirectly) need itself`,
    });
  }
  if (inCycle.size > 0) {
    // Anything downstream of a cycle can never start: say so, so the author is not surprised later.
    const blocked = downstreamOf(steps, inCycle);
    steps.forEach((step, i) => {
      if (blocked.has(step.id) && !inCycle.has(step.id)) {
        issues.push({
          path: `steps[${i}]`,
          code: 'UNREACHABLE_STEP',
          message: `step "${step.id}" can never start: it depends on the cycle through ${[...inCycle].sort().join(', ')}`,
        });
      }
    });
  }
  return issues;
}

/** Returns each elementary cycle found by a depth-first search (one per back edge), as lists of step ids. */
export function findCycles(steps: ReadonlyArray<Pick<StepNode, 'id' | 'needs'>>): string[][] {
  const needs = new Map<string, readonly string[]>();
  for (const step of steps) if (!needs.has(step.id)) needs.set(step.id, step.needs);
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[][] = [];
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const need of needs.get(id) ?? []) {
      if (!needs.has(need) || need === id) continue;
      const s = state.get(need);
      if (s === 'visiting') {
        cycles.push(stack.slice(stack.indexOf(need)));
      } else if (s === undefined) {
        visit(need);
      }
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of needs.keys()) if (!state.has(id)) visit(id);
  return cycles;
}

function downstreamOf(
  steps: ReadonlyArray<Pick<StepNode, 'id' | 'needs'>>,
  sources: ReadonlySet<string>,
): Set<string> {
  const reached = new Set(sources);
  let grew = true;
  while (grew) {
    grew = false;
    for (const step of steps) {
      if (!reached.has(step.id) && step.needs.some((n) => reached.has(n))) {
        reached.add(step.id);
        grew = true;
      }
    }
  }
  return reached;
}
