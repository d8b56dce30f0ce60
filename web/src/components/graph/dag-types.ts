/**
 * The data a {@link DagGraph} draws, and the conversion of a workflow version's graph (from
 * `GET /v1/workflows/{name}`, `versions[].graph`) into it. Pure: no React.
 * @module
 */

/** One node of a drawn graph: a step of a workflow version, or of a run. */
export interface DagNode {
  id: string;
  /** Shown instead of the id when given. */
  label?: string;
  /** The step kind (`fn`, `map`, `approval`, ...), drawn as a small label. */
  kind: string;
  /** The step's status in a run (`pending` before it is scheduled); none for a version's graph. */
  status?: string;
  /**
   * A grouped fan-out (the items of a `map` step): how many items are in each status, for example
   * `{ succeeded: 4980, running: 20 }`. Drawn as a stacked bar under the label.
   */
  counts?: Record<string, number>;
}

/** An edge `from` → `to`: `to` needs `from`. */
export interface DagEdge {
  from: string;
  to: string;
}

/** A workflow version's graph as the API returns it (`versions[].graph`); the fields the dashboard reads. */
export interface WorkflowGraph {
  workflow: string;
  steps: WorkflowGraphStep[];
  runTimeoutMs?: number;
  hasOutput?: boolean;
}

/** One step of a {@link WorkflowGraph}. */
export interface WorkflowGraphStep {
  id: string;
  kind: string;
  needs: string[];
  conditional?: boolean;
  timeoutMs?: number;
  effect?: boolean;
  idempotent?: boolean;
  compensable?: boolean;
  retry?: {
    maxAttempts: number;
    initialDelayMs: number;
    backoff: number;
    maxDelayMs: number;
    jitter: number;
  };
  map?: { concurrency: number; onItemFailure: string; maxItems: number };
  meta?: Record<string, unknown>;
}

/**
 * The nodes and edges of a version's graph, without statuses (the workflows view draws it as is).
 * A `needs` entry naming no step of the graph is left out rather than drawn to nowhere.
 */
export function dagOfGraph(graph: WorkflowGraph): { nodes: DagNode[]; edges: DagEdge[] } {
  const ids = new Set(graph.steps.map((s) => s.id));
  const nodes: DagNode[] = graph.steps.map((s) => ({ id: s.id, kind: s.kind }));
  const edges: DagEdge[] = [];
  for (const s of graph.steps) for (const n of s.needs) if (ids.has(n)) edges.push({ from: n, to: s.id });
  return { nodes, edges };
}
