/**
 * Alert rules: the config file's schema (YAML or JSON), the five default rules, and loading a file.
 * @example
 * # alerts.yaml
 * webhooks: ['https://hooks.slack.com/services/T000/B000/XXXX']
 * baseUrl: https://baton.example.com
 * rules:
 *   - { id: success-rate, kind: success-rate, below: 0.9 }   # replaces the default of the same id
 *   - { id: slow-triage, kind: run-duration, workflow: triage, aboveMs: 120000, window: 30m }
 * @module
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { BatonError } from '../../core/errors.js';
import { parseDuration } from '../run-window.js';

const Duration = z
  .string()
  .refine(
    (text) => /^\d+(\.\d+)?(ms|s|m|h|d)$/.test(text.trim()),
    'expected a duration such as 30s, 5m or 24h',
  );
const Fraction = z.number().min(0).max(1);
const Percentile = z.number().gt(0).max(100);

const common = {
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
  /** Only this workflow; every workflow when omitted. */
  workflow: z.string().min(1).optional(),
  /** How far back the condition is measured. */
  window: Duration,
  disabled: z.boolean().default(false),
};

/** The schema of one rule. */
export const alertRuleSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...common,
    kind: z.literal('success-rate'),
    below: Fraction,
    minRuns: z.number().int().positive().default(1),
  }),
  z.strictObject({
    ...common,
    kind: z.literal('run-duration'),
    percentile: Percentile.default(95),
    aboveMs: z.number().positive(),
    minRuns: z.number().int().positive().default(1),
  }),
  z.strictObject({
    ...common,
    kind: z.literal('tokens-vs-baseline'),
    percentile: Percentile.default(95),
    factor: z.number().positive(),
    /** The span before the window the baseline is measured over. */
    baseline: Duration.default('24h'),
    minRuns: z.number().int().positive().default(1),
  }),
  z.strictObject({
    ...common,
    // Calls are grouped by tenant and model alias, not by workflow: a workflow here would be ignored.
    workflow: z
      .undefined({ error: 'a model-error-rate rule watches model aliases, not workflows: remove `workflow`' })
      .optional(),
    kind: z.literal('model-error-rate'),
    above: Fraction,
    minCalls: z.number().int().positive().default(1),
  }),
  z.strictObject({
    ...common,
    kind: z.literal('run-cost-outlier'),
    factor: z.number().positive(),
    percentile: Percentile.default(99),
    baseline: Duration.default('24h'),
    /** Fewer baseline runs than this make no baseline (a p99 of three runs means little). */
    minBaselineRuns: z.number().int().positive().default(20),
  }),
]);

/** One alert rule, defaults filled in. */
export type AlertRule = z.output<typeof alertRuleSchema>;
/** The kinds of rule. */
export type AlertRuleKind = AlertRule['kind'];

/** The schema of an alerts config file. */
export const alertsConfigSchema = z.strictObject({
  /** Where notifications are POSTed (Slack incoming webhooks, or anything taking the same JSON). */
  webhooks: z.array(z.url()).default([]),
  /** The API's public URL, for the run links of notifications. */
  baseUrl: z.url().optional(),
  /** Start from the default rules (a rule of the same id replaces one). @defaultValue true */
  defaults: z.boolean().default(true),
  rules: z.array(alertRuleSchema).default([]),
});

/** An alerts config as written. */
export type AlertsConfigInput = z.input<typeof alertsConfigSchema>;

/** An alerts config, checked, with its effective rules. */
export interface AlertsConfig {
  webhooks: string[];
  baseUrl?: string | undefined;
  rules: AlertRule[];
}

/**
 * The default rules: success rate below 95% over 5 minutes; p95 run duration above 30 s over 10
 * minutes; p95 tokens per run above twice its baseline (the 24 hours before the window) over 15
 * minutes; model error rate above 5% over 5 minutes; a run costing more than 5× the p99 of the
 * previous 24 hours (runs finished in the last 5 minutes).
 */
export const DEFAULT_ALERT_RULES: readonly AlertRule[] = [
  alertRuleSchema.parse({ id: 'success-rate', kind: 'success-rate', below: 0.95, window: '5m' }),
  alertRuleSchema.parse({ id: 'run-duration-p95', kind: 'run-duration', aboveMs: 30_000, window: '10m' }),
  alertRuleSchema.parse({ id: 'tokens-p95', kind: 'tokens-vs-baseline', factor: 2, window: '15m' }),
  alertRuleSchema.parse({ id: 'model-error-rate', kind: 'model-error-rate', above: 0.05, window: '5m' }),
  alertRuleSchema.parse({ id: 'run-cost-outlier', kind: 'run-cost-outlier', factor: 5, window: '5m' }),
];

/**
 * Checks an alerts config and merges its rules over the defaults.
 * @throws BatonError `CONFIG_INVALID` naming the first problem
 */
export function parseAlertsConfig(input: unknown, where = 'the alerts config'): AlertsConfig {
  const parsed = alertsConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BatonError(
      'CONFIG_INVALID',
      `${where}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
      {
        hint: 'Fix the file; see "Costs and alerts" in docs/operations.md',
      },
    );
  }
  const { webhooks, baseUrl, defaults, rules } = parsed.data;
  const byId = new Map<string, AlertRule>();
  for (const rule of defaults ? DEFAULT_ALERT_RULES : []) byId.set(rule.id, rule);
  for (const rule of rules) byId.set(rule.id, rule);
  return { webhooks, baseUrl, rules: [...byId.values()].filter((r) => !r.disabled) };
}

/** Reads and checks an alerts config file (`.json`, or YAML otherwise). */
export async function loadAlertsConfig(path: string): Promise<AlertsConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new BatonError('CONFIG_INVALID', `cannot read the alerts config ${path}`, {
      hint: 'Check the path of `alerts` in baton.config',
      cause,
    });
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new BatonError(
      'CONFIG_INVALID',
      `the alerts config ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}`,
      {
        hint: (cause as Error).message,
        cause,
      },
    );
  }
  return parseAlertsConfig(parsed, path);
}

/** A rule's window in milliseconds. */
export function windowMs(rule: Pick<AlertRule, 'window'>): number {
  return parseDuration(rule.window);
}
