/**
 * The cost model of a workflow version: tokens, cost and duration per run at p50, p95 and p99 over a
 * window, and the steps that cost the most. Runs come from the engine's store, tokens and cost from
 * the gateway's request log (summed per run and step in one query).
 * @module
 */
import { BatonError } from '../../core/errors.js';
import type { WorkflowVersion } from '../../core/types.js';
import type { GatewayLedger } from '../../gateway/ledger/port.js';
import type { Baton } from '../../runtime/baton.js';
import { finishedRuns, type Percentiles, percentiles, runDuration } from '../run-window.js';

/** What the cost model reads. */
export interface CostModelSources {
  baton: Pick<Baton, 'store'>;
  /** The gateway's request log; without one, tokens and cost are zero and `usageLogged` is false. */
  ledger?: Pick<GatewayLedger, 'runUsage'> | undefined;
}

/** Which runs the cost model covers. */
export interface CostModelQuery {
  workflow: string;
  /** A version id (`name@3`), a number (`3`) or a label; the latest version when omitted. */
  version?: string;
  /** Runs created at or after this instant (ms since the epoch). */
  since: number;
  /** Runs created before this instant. @defaultValue now */
  until?: number;
  /** Only this tenant's runs and calls (the API always passes the caller's). */
  tenant?: string;
  /** How many steps {@link CostModel.topSteps} lists. @defaultValue 5 */
  topSteps?: number;
  /** @defaultValue Date.now */
  now?: () => number;
}

/** What one step cost over the window, across the runs covered. */
export interface StepCost {
  stepId: string;
  costUsd: number;
  tokens: number;
  calls: number;
  /** The step's part of the runs' total cost, 0 to 1. */
  share: number;
}

/** The cost model of a workflow version over a window. */
export interface CostModel {
  workflow: string;
  /** The version id (`name@3`). */
  version: string;
  since: number;
  until: number;
  /** Finished runs (succeeded, failed or cancelled) created in the window. */
  runs: number;
  /** Input plus output tokens per run. */
  tokens: Percentiles;
  costUsd: Percentiles;
  /** Finish minus start per run (runs that never started are left out). */
  durationMs: Percentiles;
  totalCostUsd: number;
  /** The most expensive steps, most expensive first. */
  topSteps: StepCost[];
  /** Cost of calls logged without a step (made outside a step, or by a gateway client naming none). */
  unattributedCostUsd: number;
  /** False when no request log was available. */
  usageLogged: boolean;
}

/**
 * Computes the cost model of a workflow version over `[since, until)`.
 * @example
 * const model = await costModel({ baton, ledger: gateway.ledger }, { workflow: 'triage', since: Date.now() - 86_400_000 });
 * @throws BatonError `WORKFLOW_NOT_FOUND` or `VERSION_NOT_FOUND`
 */
export async function costModel(sources: CostModelSources, query: CostModelQuery): Promise<CostModel> {
  const until = query.until ?? (query.now ?? Date.now)();
  const version = await resolveVersion(sources.baton.store, query.workflow, query.version);
  const runs = await finishedRuns(sources.baton.store, {
    workflow: query.workflow,
    versionId: version.id,
    ...(query.tenant === undefined ? {} : { tenant: query.tenant }),
    createdSince: query.since,
    createdUntil: until,
  });
  const perRun = new Map(runs.map((r) => [r.id, { tokens: 0, costUsd: 0 }]));
  const steps = new Map<string, StepCost>();
  let unattributed = 0;
  if (sources.ledger && runs.length > 0) {
    // A run created in the window may call the model after it: read the log up to the last finish.
    const lastFinish = Math.max(until, ...runs.map((r) => (r.finishedAt ?? 0) + 1));
    const usage = await sources.ledger.runUsage({
      since: query.since,
      until: lastFinish,
      ...(query.tenant === undefined ? {} : { tenant: query.tenant }),
    });
    for (const u of usage) {
      const run = perRun.get(u.runId);
      if (!run) continue;
      run.tokens += u.tokens;
      run.costUsd += u.costUsd;
      if (u.stepId === undefined) {
        unattributed += u.costUsd;
        continue;
      }
      const step = steps.get(u.stepId) ?? { stepId: u.stepId, costUsd: 0, tokens: 0, calls: 0, share: 0 };
      step.costUsd += u.costUsd;
      step.tokens += u.tokens;
      step.calls += u.calls;
      steps.set(u.stepId, step);
    }
  }
  const values = [...perRun.values()];
  const total = values.reduce((sum, v) => sum + v.costUsd, 0);
  const topSteps = [...steps.values()]
    .map((s) => ({ ...s, share: total > 0 ? s.costUsd / total : 0 }))
    .sort((a, b) => b.costUsd - a.costUsd || b.tokens - a.tokens || a.stepId.localeCompare(b.stepId))
    .slice(0, query.topSteps ?? 5);
  return {
    workflow: query.workflow,
    version: version.id,
    since: query.since,
    until,
    runs: runs.length,
    tokens: percentiles(values.map((v) => v.tokens)),
    costUsd: percentiles(values.map((v) => v.costUsd)),
    durationMs: percentiles(runs.map(runDuration).filter((d) => d !== undefined)),
    totalCostUsd: total,
    topSteps,
    unattributedCostUsd: unattributed,
    usageLogged: sources.ledger !== undefined,
  };
}

/** The version a query names: an id, a number or a label; the latest when none. */
async function resolveVersion(
  store: Baton['store'],
  workflow: string,
  version: string | undefined,
): Promise<WorkflowVersion> {
  if (version === undefined) {
    const latest = await store.getLatestVersion(workflow);
    if (!latest) {
      throw new BatonError('WORKFLOW_NOT_FOUND', `workflow ${workflow} is not registered`, {
        hint: 'List workflows with `baton workflows list`',
      });
    }
    return latest;
  }
  const id = version.includes('@') ? version : /^\d+$/.test(version) ? `${workflow}@${version}` : undefined;
  const found =
    id === undefined
      ? (await store.listVersions(workflow)).filter((v) => v.label === version).at(-1)
      : await store.getVersion(id);
  if (!found || found.workflow !== workflow) {
    throw new BatonError('VERSION_NOT_FOUND', `workflow ${workflow} has no version ${version}`, {
      hint: `See its versions with \`baton workflows show ${workflow}\``,
    });
  }
  return found;
}
