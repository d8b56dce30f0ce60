/**
 * Evaluating alert rules: one read of the finished runs and one aggregate read of the request log per
 * evaluation, grouped per tenant and workflow (per tenant and model alias for the error rate). Baselines
 * (the 24 hours before a window) are read again at most every `baselineRefreshMs`.
 * @module
 */
import type { Run } from '../../core/types.js';
import type { GatewayLedger } from '../../gateway/ledger/port.js';
import type { Store } from '../../store/port.js';
import { finishedRuns, parseDuration, percentile, runDuration } from '../run-window.js';
import { type AlertRule, windowMs } from './rules.js';

/** What the evaluator reads. */
export interface AlertSources {
  store: Pick<Store, 'listRuns'>;
  /** The gateway's request log; the token, cost and error-rate rules need it. */
  ledger?: Pick<GatewayLedger, 'runUsage' | 'routeOutcomes' | 'listRequests'> | undefined;
}

/** Options of {@link AlertEvaluator}. */
export interface EvaluatorOptions {
  /** Runs created this long before a window and finished in it still count. @defaultValue 3600000 */
  lookbackMs?: number;
  /** How often baselines are read again. @defaultValue 3600000 */
  baselineRefreshMs?: number;
  /** Example runs per alert. @defaultValue 3 */
  examples?: number;
}

/** One rule measured on one subject at one instant. */
export interface Observation {
  /** `rule|tenant|subject`. */
  key: string;
  ruleId: string;
  tenant: string;
  subject: string;
  firing: boolean;
  value: number;
  threshold: number;
  exampleRuns: string[];
}

interface RunFacts {
  run: Run;
  tokens: number;
  costUsd: number;
}

interface Baseline {
  computedAt: number;
  /** Per `tenant|workflow`: the baseline runs and their percentile. */
  groups: Map<string, { runs: number; value: number }>;
}

const RUN_KINDS = new Set(['success-rate', 'run-duration', 'tokens-vs-baseline', 'run-cost-outlier']);

/** Measures rules against the stores; keeps baselines between evaluations. */
export class AlertEvaluator {
  readonly #baselines = new Map<string, Baseline>();
  readonly #lookbackMs: number;
  readonly #refreshMs: number;
  readonly #examples: number;

  constructor(
    private readonly sources: AlertSources,
    private readonly rules: readonly AlertRule[],
    options: EvaluatorOptions = {},
  ) {
    this.#lookbackMs = options.lookbackMs ?? 3_600_000;
    this.#refreshMs = options.baselineRefreshMs ?? 3_600_000;
    this.#examples = options.examples ?? 3;
  }

  /** Every rule measured at `now`, on every subject with data in its window. */
  async evaluate(now: number): Promise<Observation[]> {
    const runRules = this.rules.filter((r) => RUN_KINDS.has(r.kind));
    const out: Observation[] = [];
    if (runRules.length > 0) {
      const span = Math.max(...runRules.map(windowMs));
      const recent = await this.#runFacts(now - span, now + 1);
      for (const rule of runRules) out.push(...(await this.#measureRuns(rule, recent, now)));
    }
    for (const rule of this.rules) {
      if (rule.kind === 'model-error-rate') out.push(...(await this.#errorRate(rule, now)));
    }
    return out;
  }

  /** Finished runs of `[since, until)` with what their calls used. */
  async #runFacts(since: number, until: number): Promise<RunFacts[]> {
    const runs = await finishedRuns(this.sources.store, {
      createdSince: since - this.#lookbackMs,
      createdUntil: until,
      finished: { since, until },
    });
    const usage = new Map<string, { tokens: number; costUsd: number }>();
    const needsUsage = this.rules.some(
      (r) => r.kind === 'tokens-vs-baseline' || r.kind === 'run-cost-outlier',
    );
    if (needsUsage && this.sources.ledger && runs.length > 0) {
      for (const u of await this.sources.ledger.runUsage({ since: since - this.#lookbackMs, until })) {
        const sum = usage.get(u.runId) ?? { tokens: 0, costUsd: 0 };
        sum.tokens += u.tokens;
        sum.costUsd += u.costUsd;
        usage.set(u.runId, sum);
      }
    }
    return runs.map((run) => ({
      run,
      tokens: usage.get(run.id)?.tokens ?? 0,
      costUsd: usage.get(run.id)?.costUsd ?? 0,
    }));
  }

  async #measureRuns(rule: AlertRule, recent: RunFacts[], now: number): Promise<Observation[]> {
    const since = now - windowMs(rule);
    const groups = new Map<string, RunFacts[]>();
    for (const f of recent) {
      if ((f.run.finishedAt ?? 0) < since) continue;
      if (rule.workflow !== undefined && f.run.workflow !== rule.workflow) continue;
      const key = `${f.run.tenant}|${f.run.workflow}`;
      groups.set(key, [...(groups.get(key) ?? []), f]);
    }
    const baseline =
      rule.kind === 'tokens-vs-baseline' || rule.kind === 'run-cost-outlier'
        ? await this.#baseline(rule, now)
        : undefined;
    const out: Observation[] = [];
    for (const [group, facts] of groups) {
      const [tenant = '', subject = ''] = group.split('|');
      const observation = (firing: boolean, value: number, threshold: number, examples: RunFacts[]) =>
        out.push({
          key: `${rule.id}|${group}`,
          ruleId: rule.id,
          tenant,
          subject,
          firing,
          value,
          threshold,
          exampleRuns: examples.slice(0, this.#examples).map((f) => f.run.id),
        });
      const newest = [...facts].sort((a, b) => (b.run.finishedAt ?? 0) - (a.run.finishedAt ?? 0));
      switch (rule.kind) {
        case 'success-rate': {
          const decided = newest.filter((f) => f.run.status !== 'cancelled');
          if (decided.length < rule.minRuns) break;
          const failed = decided.filter((f) => f.run.status === 'failed');
          const rate = (decided.length - failed.length) / decided.length;
          observation(rate < rule.below, rate, rule.below, failed);
          break;
        }
        case 'run-duration': {
          const timed = newest.filter((f) => runDuration(f.run) !== undefined);
          if (timed.length < rule.minRuns) break;
          const slowest = timed.sort((a, b) => (runDuration(b.run) ?? 0) - (runDuration(a.run) ?? 0));
          const p = percentile(slowest.map((f) => runDuration(f.run) ?? 0).reverse(), rule.percentile);
          observation(p > rule.aboveMs, p, rule.aboveMs, slowest);
          break;
        }
        case 'tokens-vs-baseline': {
          const base = baseline?.groups.get(group);
          if (facts.length < rule.minRuns || !base || base.runs < rule.minRuns || base.value <= 0) break;
          const heaviest = [...facts].sort((a, b) => b.tokens - a.tokens);
          const p = percentile(heaviest.map((f) => f.tokens).reverse(), rule.percentile);
          observation(p > rule.factor * base.value, p, rule.factor * base.value, heaviest);
          break;
        }
        case 'run-cost-outlier': {
          const base = baseline?.groups.get(group);
          if (!base || base.runs < rule.minBaselineRuns || base.value <= 0) break;
          const limit = rule.factor * base.value;
          const outliers = [...facts].filter((f) => f.costUsd > limit).sort((a, b) => b.costUsd - a.costUsd);
          observation(outliers.length > 0, Math.max(...facts.map((f) => f.costUsd)), limit, outliers);
          break;
        }
        default:
          break;
      }
    }
    return out;
  }

  /** The rule's baseline per tenant and workflow: the percentile of the span just before its window. */
  async #baseline(
    rule: Extract<AlertRule, { kind: 'tokens-vs-baseline' | 'run-cost-outlier' }>,
    now: number,
  ): Promise<Baseline> {
    const cached = this.#baselines.get(rule.id);
    if (cached && now >= cached.computedAt && now - cached.computedAt < this.#refreshMs) return cached;
    const until = now - windowMs(rule);
    const facts = await this.#runFacts(until - parseDuration(rule.baseline), until);
    const values = new Map<string, number[]>();
    for (const f of facts) {
      if (rule.workflow !== undefined && f.run.workflow !== rule.workflow) continue;
      const key = `${f.run.tenant}|${f.run.workflow}`;
      values.set(key, [
        ...(values.get(key) ?? []),
        rule.kind === 'tokens-vs-baseline' ? f.tokens : f.costUsd,
      ]);
    }
    const groups = new Map<string, { runs: number; value: number }>();
    for (const [key, list] of values) {
      groups.set(key, {
        runs: list.length,
        value: percentile(
          [...list].sort((a, b) => a - b),
          rule.percentile,
        ),
      });
    }
    const baseline = { computedAt: now, groups };
    this.#baselines.set(rule.id, baseline);
    return baseline;
  }

  async #errorRate(
    rule: Extract<AlertRule, { kind: 'model-error-rate' }>,
    now: number,
  ): Promise<Observation[]> {
    const ledger = this.sources.ledger;
    if (!ledger) return [];
    const since = now - windowMs(rule);
    const out: Observation[] = [];
    for (const o of await ledger.routeOutcomes({ since, until: now + 1 })) {
      if (o.calls < rule.minCalls) continue;
      const rate = o.errors / o.calls;
      const firing = rate > rule.above;
      const examples: string[] = [];
      if (firing) {
        // Newest first, one bounded page of this alias's failures only: a page of every call would fill
        // up with the successes and other aliases of a busy tenant and leave the alert without examples.
        const { entries } = await ledger.listRequests({
          tenant: o.tenant,
          model: o.route,
          status: 'error',
          since,
          limit: 200,
        });
        for (const e of entries) {
          if (e.status !== 'error' || e.route !== o.route || !e.runId || examples.includes(e.runId)) continue;
          if (examples.push(e.runId) >= this.#examples) break;
        }
      }
      out.push({
        key: `${rule.id}|${o.tenant}|${o.route}`,
        ruleId: rule.id,
        tenant: o.tenant,
        subject: o.route,
        firing,
        value: rate,
        threshold: rule.above,
        exampleRuns: examples,
      });
    }
    return out;
  }
}
