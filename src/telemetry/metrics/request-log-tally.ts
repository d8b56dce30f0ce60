/**
 * Model metrics from the gateway's request log, read through the ledger port (`listRequests` with
 * `since`, served by its `at` index): the log may live in a database of its own (`gateway.db`), so
 * the workflow of a call is looked up by its run id in the engine's database.
 * @module
 */
import { LRUCache } from 'lru-cache';
import type { GatewayLedger, RequestLogEntry } from '../../gateway/ledger/port.js';
import { METRICS } from './catalog.js';
import type { MetricsSource, TimeRange } from './source.js';
import { bucketOf, type LabelCap, type Tally } from './tally.js';

/** The label caps model metrics use. */
export interface ModelLabelCaps {
  workflow: LabelCap;
  model: LabelCap;
  tenant: LabelCap;
  code: LabelCap;
}

/** The `workflow` label of calls made outside any run. */
export const NO_WORKFLOW = 'none';
/** The `workflow` label of calls whose run is no longer stored (pruned) or not readable. */
export const UNKNOWN_WORKFLOW = 'unknown';

const PAGE = 1000;

/** Reads the request log of a range into tallies, remembering the workflow of recent runs. */
export class RequestLogTally {
  // Bounded: a run's calls usually fall within a few scrapes of each other.
  readonly #workflows = new LRUCache<string, string>({ max: 10_000 });

  constructor(
    private readonly ledger: GatewayLedger,
    private readonly engine: MetricsSource | undefined,
    private readonly caps: ModelLabelCaps,
  ) {}

  /**
   * Adds the calls that started in `range` to `tally`, a page at a time: a range may hold the whole
   * log (`since: 0`, or the first settled read of an old `since`), so no more than a page is held.
   */
  async add(tally: Tally, range: TimeRange): Promise<void> {
    let before: string | undefined;
    for (;;) {
      const page = await this.ledger.listRequests({
        since: range.from,
        limit: PAGE,
        ...(before === undefined ? {} : { before }),
      });
      const entries = page.entries.filter((e) => e.at < range.to);
      const workflows = await this.#workflowsOf(entries);
      for (const e of entries) this.#addEntry(tally, e, workflows);
      if (page.nextCursor === undefined) return;
      before = page.nextCursor;
    }
  }

  async #workflowsOf(entries: RequestLogEntry[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const missing = new Set<string>();
    for (const e of entries) {
      if (e.runId === undefined) continue;
      const known = this.#workflows.get(e.runId);
      if (known === undefined) missing.add(e.runId);
      else found.set(e.runId, known);
    }
    if (missing.size > 0 && this.engine) {
      for (const [runId, workflow] of await this.engine.workflowsOf([...missing])) {
        this.#workflows.set(runId, workflow);
        found.set(runId, workflow);
      }
    }
    return found;
  }

  #addEntry(tally: Tally, e: RequestLogEntry, workflows: Map<string, string>): void {
    const caps = this.caps;
    const model = caps.model.of(e.target ?? e.route);
    const tenant = caps.tenant.of(e.tenant);
    const workflow = caps.workflow.of(
      e.runId === undefined ? NO_WORKFLOW : (workflows.get(e.runId) ?? UNKNOWN_WORKFLOW),
    );
    tally.add(METRICS.modelRequests.name, { model, tenant, status: e.status }, 1);
    if (e.status === 'error') {
      tally.add(METRICS.modelErrors.name, { model, code: caps.code.of(e.errorCode ?? 'INTERNAL') }, 1);
      if (e.errorCode === 'BUDGET_EXCEEDED') tally.add(METRICS.budgetRefusals.name, { tenant }, 1);
    }
    tally.add(METRICS.tokens.name, { workflow, model, tenant, type: 'input' }, e.inputTokens);
    tally.add(METRICS.tokens.name, { workflow, model, tenant, type: 'output' }, e.outputTokens);
    tally.add(METRICS.cost.name, { workflow, model, tenant }, e.costUsd);
    if (e.status === 'ok' && !e.cacheHit) {
      const seconds = e.latencyMs / 1000;
      const bounds = METRICS.modelLatency.bounds;
      tally.observe(METRICS.modelLatency.name, bounds, { model }, bucketOf(seconds, bounds), 1, seconds);
    }
    if (e.ttftMs !== undefined && !e.cacheHit) {
      const seconds = e.ttftMs / 1000;
      const bounds = METRICS.ttft.bounds;
      tally.observe(METRICS.ttft.name, bounds, { model }, bucketOf(seconds, bounds), 1, seconds);
    }
  }
}
