/** Alert rules in words: their condition, and their values in the rule's unit. */
import { formatCount, formatDuration, formatPercent, formatUsd } from '../../components/format';

/** An alert's state (`GET /v1/alerts`). */
export interface AlertState {
  key: string;
  ruleId: string;
  subject: string;
  status: 'firing' | 'resolved';
  since: number;
  value: number;
  threshold: number;
  exampleRuns: string[];
}

/** A change of status in the history. */
export interface AlertEvent extends AlertState {
  seq: number;
}

/** A rule with its alerts. */
export interface AlertRule {
  id: string;
  kind: string;
  window: string;
  workflow?: string;
  settings: Record<string, unknown>;
  alerts: AlertState[];
}

/** `GET /v1/alerts`. */
export interface AlertsAnswer {
  data: AlertRule[];
  history: AlertEvent[];
}

const num = (v: unknown, fallback: number) => (typeof v === 'number' ? v : fallback);
/** `95%`, `97.5%`: a threshold reads better without a trailing `.0`. */
const percent = (ratio: number) => formatPercent(ratio).replace('.0%', '%');
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** "Success rate below 95%", "p95 run duration above 30.0 s"... */
export function conditionInWords(rule: AlertRule): string {
  const s = rule.settings;
  switch (rule.kind) {
    case 'success-rate':
      return `Success rate of finished runs below ${percent(num(s.below, 0))} (at least ${plural(num(s.minRuns, 1), 'run')})`;
    case 'run-duration':
      return `p${num(s.percentile, 95)} run duration above ${formatDuration(num(s.aboveMs, 0))}`;
    case 'tokens-vs-baseline':
      return `p${num(s.percentile, 95)} tokens per run above ${num(s.factor, 2)}× its baseline (the ${String(s.baseline ?? '24h')} before the window)`;
    case 'model-error-rate':
      return `Model call error rate above ${percent(num(s.above, 0))} per model alias (at least ${plural(num(s.minCalls, 1), 'call')})`;
    case 'run-cost-outlier':
      return `A run costing more than ${num(s.factor, 5)}× the p${num(s.percentile, 99)} run cost of the previous ${String(s.baseline ?? '24h')} (needs ${plural(num(s.minBaselineRuns, 20), 'baseline run')})`;
    default:
      return rule.kind;
  }
}

/** What the rule's subjects are. */
export function subjectNoun(kind: string): string {
  return kind === 'model-error-rate' ? 'Model alias' : 'Workflow';
}

/** A measured value or threshold in the rule's unit. */
export function formatValue(kind: string, value: number): string {
  switch (kind) {
    case 'success-rate':
    case 'model-error-rate':
      return percent(value);
    case 'run-duration':
      return formatDuration(value);
    case 'tokens-vs-baseline':
      return `${formatCount(value)} tokens`;
    case 'run-cost-outlier':
      return formatUsd(value);
    default:
      return formatCount(value);
  }
}

/** "below" or "above": how the value compares with the threshold when the rule fires. */
export function comparison(kind: string): string {
  return kind === 'success-rate' ? 'below' : 'above';
}
