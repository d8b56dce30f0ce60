/** The workflow shapes the workflows view reads from the API. */
import type { WorkflowGraph } from '../../components/graph/dag-types';

/** `WorkflowVersion`. */
export interface WorkflowVersion {
  id: string;
  workflow: string;
  number: number;
  label: string;
  hash: string;
  source: 'code' | 'spec';
  graph: WorkflowGraph;
  /** The spec (source `spec`) or a description of the code; `steps` carries each step's fields. */
  definition: { description?: string; steps?: ({ id: string } & Record<string, unknown>)[] } & Record<
    string,
    unknown
  >;
  createdAt: number;
}

/** `GET /v1/workflows` item. */
export interface WorkflowSummary {
  workflow: string;
  versions: number;
  latest: WorkflowVersion;
}

/** `GET /v1/workflows/{name}/diff`. */
export interface VersionDiff {
  from: string;
  to: string;
  added: string[];
  removed: string[];
  changed: { stepId: string; changes: FieldChange[] }[];
  workflow: FieldChange[];
}

/** One changed field. */
export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** p50/p95/p99 of one measure per run. */
export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** `GET /v1/costs` item: one version's cost model over a window. */
export interface CostModel {
  workflow: string;
  version: string;
  since: number;
  until: number;
  runs: number;
  tokens: Percentiles;
  costUsd: Percentiles;
  durationMs: Percentiles;
  totalCostUsd: number;
  topSteps: { stepId: string; costUsd: number; tokens: number; calls: number; share: number }[];
  unattributedCostUsd: number;
  usageLogged: boolean;
}

/** The windows the cost model can be read over. */
export const COST_WINDOWS = [
  { value: '1h', label: 'Last hour' },
  { value: '24h', label: 'Last 24 h' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
] as const;
